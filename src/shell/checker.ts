import { createHash } from "node:crypto";
import type { Fixture } from "./bundle.ts";
import { OP_UID } from "../sandbox/rootfs.ts";
import { shellQuote as q } from "../proc/shell.ts";

/** Where the operator (uid 1000) can write among the paths builtin checkers read. */
const OPERATOR_TREE = "/home/op";

/**
 * The guard every builtin checker starts with: it refuses a state whose operator tree holds anything but
 * directories and regular files with a single name.
 *
 * Why one rule instead of link-aware checks: the checks are plain sh and each tool treats links its own way —
 * `[ -f ]`, `cat`, `tar` and `sha256sum` follow a symlink to wherever it points (a copy in /tmp, /dev/null, a
 * file outside the task), while busybox `find` does not descend a symlinked start point or subdirectory and
 * `stat` reports the link itself. So `mv cache cache.real && ln -s cache.real cache` made `find cache -name
 * '*.tmp'` print nothing with every .tmp file still there. A hard link leaves a copy under another name that no
 * check looks for, and a FIFO blocks a reader. No builtin task asks for a link or a special file, so none can
 * be legitimate: refusing them all makes every check, present and future, read the files it names.
 *
 * /home/op is the only tree the operator can write that the checks read (/usr/local and /var hold root-owned
 * fixtures in root-owned directories; /tmp and the session's state dir are never read), and it is a mount
 * point on the read-only root, so it cannot be swapped for a link; the first line checks that anyway. `find`
 * starts from `/home/op/` (trailing slash: the resolved directory) and a scan it cannot finish is a refusal.
 */
const LINK_GUARD = [
  `[ -d ${OPERATOR_TREE} ] && [ ! -L ${OPERATOR_TREE} ] || fail "${OPERATOR_TREE} is not a plain directory"`,
  `odd=$(find ${OPERATOR_TREE}/ ! -type d \\( ! -type f -o -links +1 \\) 2>&1) || fail "cannot scan ${OPERATOR_TREE}: $odd"`,
  `[ -z "$odd" ] || fail "refusing a state with links or special files the task did not create: $(printf '%s\\n' "$odd" | head -n 3 | tr '\\n' ' ')"`,
];

/** A builtin checker: the link guard, then each `condition || fail message`; exit 0 only when all hold. */
export function composeChecker(lines: string[]): string {
  return ["#!/bin/sh", 'fail() { echo "checker: $*" >&2; exit 1; }', ...LINK_GUARD, ...lines, "exit 0", ""].join("\n");
}

/** One line of the operator tree's manifest: path, type, octal mode, owner uid, and a file's content sha256. */
function manifestLine(path: string, type: "d" | "f", mode: number, uid: number, content?: string): string {
  const sum =
    type === "f"
      ? ` ${createHash("sha256")
          .update(content ?? "")
          .digest("hex")}`
      : "";
  return `${path} ${type} ${mode.toString(8)} ${uid}${sum}`;
}

/**
 * The manifest of the operator tree as the fixtures leave it: the tree itself, every directory under it
 * (implicit parents are 0755 and the operator's, as `sandbox/fixtures.ts` packs them) and every file, in
 * byte order (as the checker's `LC_ALL=C sort` sorts).
 */
export function operatorManifest(fixtures: Fixture[]): string[] {
  const lines = new Map<string, string>([[OPERATOR_TREE, manifestLine(OPERATOR_TREE, "d", 0o755, OP_UID)]]);
  for (const f of fixtures) {
    if (!f.path.startsWith(`${OPERATOR_TREE}/`)) continue;
    const parts = f.path.slice(OPERATOR_TREE.length + 1).split("/");
    for (let i = 1; i < parts.length; i++) {
      const p = `${OPERATOR_TREE}/${parts.slice(0, i).join("/")}`;
      if (!lines.has(p)) lines.set(p, manifestLine(p, "d", 0o755, OP_UID));
    }
    lines.set(f.path, manifestLine(f.path, f.type === "dir" ? "d" : "f", f.mode, f.owner === "op" ? OP_UID : 0, f.content));
  }
  return [...lines.values()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The check of an empty queue: nothing under the operator tree changed. The checker lists every entry (path,
 * type, mode, owner, a file's content digest; mtimes are left out, so reading is never a change) and compares
 * the list with the one the fixtures make. That list is computed when the bundle is composed and lives only in
 * the checker's text — never in the container — so the operator can neither read nor rewrite it. Any act
 * leaves a trace: a new or deleted file or directory, a chmod, an edit. A name holding a newline cannot forge
 * a line: what follows the newline starts a line that does not start with "/" (a name has no slash), and
 * every expected line does.
 */
export function unchangedChecks(fixtures: Fixture[]): string[] {
  const expected = operatorManifest(fixtures).join("\n");
  const list = [
    `{ stat -c "%n d %a %u" ${OPERATOR_TREE}`,
    `find ${OPERATOR_TREE}/ -mindepth 1 -type d -exec stat -c '%n d %a %u' {} +`,
    `find ${OPERATOR_TREE}/ -type f -exec sh -c 'for f; do printf "%s f %s %s\\n" "$f" "$(stat -c "%a %u" "$f")" "$(sha256sum < "$f" | cut -c1-64)"; done' sh {} +; }`,
  ].join("; ");
  const diff = (a: string, b: string) => `$(printf '%s\\n' "${a}" | grep -vxF -e "${b}" | head -n 3 | tr '\\n' ';')`;
  return [
    `state=$(${list} | sort) || fail "cannot list ${OPERATOR_TREE}"`,
    `expected=${q(expected)}`,
    `[ "$state" = "$expected" ] || fail "acted although no directive was pending: now ${diff("$state", "$expected")} was ${diff("$expected", "$state")}"`,
  ];
}

/** The check that `base` holds exactly these entries (and their parents): no stray copy, no missing directory. */
export function treeIs(base: string, entries: string[]): [string, string] {
  const all = new Set(["."]);
  for (const e of entries) {
    const parts = e.split("/");
    for (let i = 1; i <= parts.length; i++) all.add(`./${parts.slice(0, i).join("/")}`);
  }
  const want = `${[...all].sort().join(" ")} `;
  return [`[ "$(cd ${base} 2>/dev/null && find . | sort | tr '\\n' ' ')" = ${q(want)} ]`, `${base} should hold exactly ${entries.join(", ")} and nothing else`];
}
/** The check that a file holds exactly this content. */
export const sameAs = (path: string, content: string, message: string): [string, string] => [
  `[ "$(md5sum < ${path} | cut -c1-32)" = ${createHash("md5").update(content).digest("hex")} ]`,
  message,
];
