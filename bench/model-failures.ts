// A model's failures on shell bundles, by kind, and which kinds the perturbations cover. Reads a rollout
// directory's trajectories.jsonl (`sekft rollout --operator model` or `sekft eval` on bundles) and the bundles it ran
// (the rollout's own copies in rollout/bundles).
// Run: bun bench/model-failures.ts ROLLOUT_DIR...   (each the --out of a rollout, or its rollout/; the bundles are its copies)
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Trajectory } from "../src/rollout/record.ts";
import { PERTURBATIONS, perturbationsOf } from "../src/rollout/perturb.ts";
import { type Bundle, BundleSchema } from "../src/shell/bundle.ts";

/** The failure kinds, in the order a sample is given its primary kind (the first that holds). */
export const KINDS = [
  "loop",
  "invented-tool",
  "echo-screen",
  "act-before-read",
  "exit-not-panic",
  "give-up",
  "panic-not-exit",
  "exit-early",
  "act-on-empty",
  "wrong-state",
  "no-terminal",
] as const;
export type Kind = (typeof KINDS)[number];

/** The perturbations that make each kind of mistake (keys of PERTURBATIONS); none for a kind they never make. */
export const COVERED_BY: Record<Kind, string[]> = {
  loop: ["loop", "loop-before-read"],
  "invented-tool": ["invented-tool", "loop-before-read"],
  // A line of the last screen (an error message) sent back as the command: no perturbation makes it.
  "echo-screen": [],
  "act-before-read": ["act-before-read"],
  "exit-not-panic": ["exit-not-panic"],
  "give-up": ["give-up", "skip-docs"],
  "panic-not-exit": ["panic-not-exit", "panic-with-work-left"],
  // `exit` with none of the work done, where there was work (first-only does some of it).
  "exit-early": ["exit-at-once"],
  "act-on-empty": ["act-on-empty"],
  "wrong-state": ["first-only", "wrong-order", "loop", "invented-tool"],
  "no-terminal": [],
};

/** Tools a small model reaches for that the sandbox's routine never needs (they are never the way here). */
const INVENTED = new Set(["sudo", "su", "curl", "wget", "apt", "apt-get", "pip", "pip3", "yum", "dnf", "ssh", "systemctl"]);
/** Commands that change the work tree: a write. */
const WRITE = /^(?:rm|rmdir|mv|cp|chmod|chown|chgrp|mkdir|touch|ln|tee|truncate|install|dd|patch|tar|unzip|gzip|gunzip)$/;
/** The same command this many times in a row is a loop (the rollout's stuck_repeats default). */
const LOOP_RUN = 3;

const norm = (c: string) => c.trim().replace(/\s+/g, " ");
/** The simple commands of a line, split at `;`, `&&`, `||`, `|` (quotes not parsed: a heuristic over model output). */
const segments = (c: string) =>
  c
    .split(/&&|\|\||[;|]/)
    .map((s) => s.trim())
    .filter(Boolean);
const firstWord = (s: string) => (s.replace(/^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)+/, "").split(/\s+/)[0] ?? "").replace(/^.*\//, "");

const shownWord = (screen: string, w: string) => new RegExp(`(?:^|[^\\w.-])${w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w.-])`).test(screen);

/** Whether a command writes: a writing program, `sed -i`, or an output redirection to a file (not `2>/dev/null`, `>&2`). */
export function writes(cmd: string): boolean {
  if (segments(cmd).some((s) => WRITE.test(firstWord(s)) || /^sed\s(?:.*\s)?-i/.test(s))) return true;
  return /(?:^|[^0-9&<>])>>?\s*(?!&|\/dev\/null)\S/.test(cmd.replace(/'[^']*'|"[^"]*"/g, "''"));
}

/** The reference's reading prefix (every command before its first working step) and its last reading command: the one that shows the directives. */
function referenceParts(b: Bundle) {
  const cmds = b.reference.map((s) => norm(s.cmd));
  const first = b.reference.findIndex((s) => s.work);
  const reading = first < 0 ? cmds.slice(0, -1) : cmds.slice(0, first);
  return { cmds, work: b.reference.filter((s) => s.work).map((s) => norm(s.cmd)), directives: reading.at(-1) ?? null };
}

/** Whether the sample ran the reference's directive-reading command (its last before the work). */
export function readDirectives(t: Pick<Trajectory, "turns">, b: Bundle): boolean {
  const { directives } = referenceParts(b);
  return directives !== null && t.turns.some((x) => norm(x.cmd) === directives);
}

/** Every kind a failed sample shows (empty for a success), the primary one first by KINDS' order. */
export function kindsOf(t: Pick<Trajectory, "turns" | "terminal" | "outcome" | "login">, b: Bundle): Kind[] {
  if (t.outcome === "success") return [];
  const found = new Set<Kind>();
  const cmds = t.turns.map((x) => norm(x.cmd));
  const ref = referenceParts(b);

  let run = 1;
  const counts = new Map<string, number>();
  for (const [i, c] of cmds.entries()) {
    run = i > 0 && cmds[i - 1] === c ? run + 1 : 1;
    counts.set(c, (counts.get(c) ?? 0) + 1);
    if (run >= LOOP_RUN) found.add("loop");
  }
  if (t.outcome === "stuck" || [...counts.values()].some((n) => n >= 2 * LOOP_RUN)) found.add("loop");

  let seen = t.login;
  let lastScreen = t.login;
  for (const turn of t.turns) {
    const words = segments(turn.cmd).map(firstWord);
    const missing = turn.exit_code === 127 || /command not found|: not found/.test(turn.output);
    if (words.some((w) => INVENTED.has(w))) found.add("invented-tool");
    else if (missing && words.some((w) => w && !shownWord(seen, w))) found.add("invented-tool");
    if (/\s/.test(turn.cmd.trim()) && lastScreen.split("\n").some((l) => l.trim() === turn.cmd.trim())) found.add("echo-screen");
    seen += `\n${turn.cmd}\n${turn.output}`;
    lastScreen = turn.output;
  }

  const readAt = ref.directives === null ? -1 : cmds.indexOf(ref.directives);
  const wroteAt = cmds.findIndex((c) => writes(c) || ref.work.includes(c));
  if (wroteAt >= 0 && (readAt < 0 || wroteAt < readAt)) found.add("act-before-read");

  const ended = t.terminal === null ? null : t.terminal.trim().startsWith("panic") ? "panic" : "exit";
  if (ended === null) found.add("no-terminal");
  else if (b.terminal === "panic" && ended === "exit") found.add("exit-not-panic");
  else if (b.terminal === "exit" && ended === "panic") found.add(wroteAt < 0 ? "give-up" : "panic-not-exit");
  else if (b.terminal === "exit" && wroteAt < 0 && ref.work.length) found.add("exit-early");
  else if (b.cell.difficulty === "empty_queue" && wroteAt >= 0) found.add("act-on-empty");
  else found.add("wrong-state");
  return KINDS.filter((k) => found.has(k));
}

export interface Summary {
  samples: number;
  success: number;
  primary: Record<string, number>;
  any: Record<string, number>;
  /** Per kind: failures of that primary kind whose bundle is offered one of the kind's perturbations. */
  offered: Record<string, number>;
  /** Per primary kind (and "success"): samples that never ran the directive-reading command. */
  unread: Record<string, number>;
}

/** Counts over samples (infra errors and timeouts are not the model's: left out). */
export function summarise(rows: { t: Trajectory; b: Bundle }[]): Summary {
  const s: Summary = { samples: 0, success: 0, primary: {}, any: {}, offered: {}, unread: {} };
  for (const { t, b } of rows) {
    if (t.outcome === "infra-error") continue;
    s.samples++;
    if (t.outcome === "success") s.success++;
    const kinds = kindsOf(t, b);
    for (const k of kinds) s.any[k] = (s.any[k] ?? 0) + 1;
    const k = kinds[0];
    if (!readDirectives(t, b)) s.unread[k ?? "success"] = (s.unread[k ?? "success"] ?? 0) + 1;
    if (!k) continue;
    s.primary[k] = (s.primary[k] ?? 0) + 1;
    const names = perturbationsOf(b);
    if (COVERED_BY[k].some((p) => names.includes(p))) s.offered[k] = (s.offered[k] ?? 0) + 1;
  }
  return s;
}

function loadBundles(d: string): Map<string, Bundle> {
  const out = new Map<string, Bundle>();
  for (const f of readdirSync(d).filter((x) => x.endsWith(".json"))) {
    const b = BundleSchema.parse(JSON.parse(readFileSync(join(d, f), "utf8")));
    out.set(b.id, b);
  }
  return out;
}

if (import.meta.main) {
  const dirs = process.argv.slice(2);
  if (!dirs.length) throw new Error("usage: bun bench/model-failures.ts ROLLOUT_DIR... (each the --out of a rollout, or its rollout/)");
  const rows = dirs.flatMap((dir) => {
    const root = existsSync(join(dir, "rollout/trajectories.jsonl")) ? join(dir, "rollout") : dir;
    const bundles = loadBundles(join(root, "bundles"));
    return readFileSync(join(root, "trajectories.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Trajectory)
      .flatMap((t) => {
        const b = bundles.get(t.bundle_id);
        return b ? [{ t, b }] : [];
      });
  });
  for (const { t, b } of rows) {
    const kinds = kindsOf(t, b);
    const last = t.turns.at(-1)?.cmd ?? "";
    console.log(
      `${t.bundle_id.slice(0, 8)} ${b.cell.difficulty.padEnd(14)} ${t.outcome.padEnd(13)} ${t.turns.length}t ${kinds.join(",") || "-"}  last: ${JSON.stringify(last.slice(0, 60))} end: ${JSON.stringify(t.terminal?.slice(0, 40) ?? null)}`,
    );
  }
  const s = summarise(rows);
  console.log(`\n${s.samples} samples, ${s.success} success (${((100 * s.success) / Math.max(s.samples, 1)).toFixed(0)}%)`);
  console.log(`successes that never read the directives: ${s.unread.success ?? 0}/${s.success}`);
  console.log("kind               primary  any  unread  perturbations (offered on that bundle / primary)");
  for (const k of KINDS) {
    const by = COVERED_BY[k].filter((p) => p in PERTURBATIONS);
    console.log(
      `${k.padEnd(18)} ${String(s.primary[k] ?? 0).padStart(7)} ${String(s.any[k] ?? 0).padStart(4)} ${String(s.unread[k] ?? 0).padStart(7)}  ${by.join(", ") || "(none)"}  ${s.primary[k] ? `${s.offered[k] ?? 0}/${s.primary[k]}` : ""}`,
    );
  }
}
