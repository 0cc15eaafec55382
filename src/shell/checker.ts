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
