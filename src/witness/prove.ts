import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { makeOwnedTempDir } from "../proc/temp.ts";
import { runScript, extractScript, type ScriptEnv, type ScriptOutcome } from "./script.ts";
import type { ExtraProofs, ProofHooks } from "./family.ts";
import type { Mutation, RenderedExample } from "./render.ts";
import type { SectionSpan } from "./sections.ts";

export interface MutationProof extends Mutation {
  denied: boolean;
  ms: number;
  /**
   * Where the mutant's run began: the empty directory, or a checkpoint of the kept run (see `checkpoints`);
   * `keys+policy`: the `keys` state plus the kept run's signed policy (see `reusePolicy`); `script`: no mutant ran, the
   * kept script's own refused verify logged the message (`Mutation.shownIn`).
   */
  from: "start" | CheckpointName | "keys+policy" | "script";
}

export type Proof =
  | ({ ok: true; runMs: number; mutationsMs: number; cpuSeconds: number; mutations: MutationProof[] } & ExtraProofs)
  | { ok: false; kind: string; reason: string; stderrTail: string; cpuSeconds: number };

/** Applies a mutation to a script; the target must occur exactly once, or the proof is void. */
export function applyMutation(script: string, m: Mutation): string | undefined {
  const first = script.indexOf(m.find);
  if (first < 0 || script.indexOf(m.find, first + 1) >= 0) return undefined;
  return script.slice(0, first) + m.replace + script.slice(first + m.find.length);
}

export type CheckpointName = "keys" | "keyids";

/**
 * A point between two `sh` blocks where a mutant may start instead of the empty directory. The text before
 * `offset` (the prefix) is identical in the script and in every mutant whose edit lies after it, so a mutant
 * run is: the prefix's state, then the mutant's own remaining commands. The state is rebuilt from the kept
 * run's final directory, which is only sound when the text proves what the prefix left and what the suffix
 * changed; `checkpoints` admits a point only when the text passes those checks.
 */
export interface Checkpoint {
  name: CheckpointName;
  offset: number;
  /** Rebuilds, in `dir` (a copy of the kept run's final `work/`), the working directory the prefix left. */
  rewind: (work: string) => void;
  /** Shell state the prefix left that a child process can see: its top-level literal exports. */
  preamble: string;
  /** `keyids`: the suffix's lines that check attestations (`witness verify`, a refusal and its `grep`), in order. */
  checks?: string;
  /** The entries of the kept run's `work/` that `rewind` keeps (only these are copied); absent: all. */
  keeps?: string[];
}

const KEYS_LINE = /^(mkdir -p keys att reports|openssl genpkey [-\w :.=]+ -out keys\/[\w.-]+|openssl pkey -in keys\/[\w.-]+ -pubout -out keys\/[\w.-]+)$/;
const READS_KEY = /(?:-k|-in|-r) (?:\.\.\/)*keys\/[\w.-]+/g;
const ASSIGN_FROM_FILE = /^(\w+)=\$\(openssl (?:dgst -sha256 -r keys\/[\w.-]+\.pub \| cut -d' ' -f1|base64 -A -in (?:keys|rego)\/[\w.-]+)\)$/;
const POLICY_LINE =
  /^(mkdir -p rego|witness policy check policy\.json|witness sign -k keys\/policy\.key -f policy\.json -o policy\.signed\.json|witness verify [-\w ./]+)$/;
// A refusal expected on the way (a `refusal` section): the failing verify writes only refused.log, grep only reads it.
const REFUSAL_LINE = /^(! witness verify [-\w ./]+ 2> refused\.log|grep -F '[^'\n]*' refused\.log)$/;
/** What the policy-building lines write (the `keyids` suffix), and the kept run's copies a `keys+policy` run starts with. */
const POLICY_PATHS = /rego\/|policy\.json|policy\.signed\.json|refused\.log/;
const POLICY_FILES = ["rego", "policy.json", "policy.signed.json"];
// The delimiter is EOF unless the body holds such a line (then EOF_1, EOF_2, ...: `heredocDelimiter`).
const HEREDOC = /^cat > (rego\/[\w.-]+\.rego|policy\.json) <<(?:'(\w+)'|(\w+))$/;
const LITERAL_EXPORT = /^export [A-Za-z_]\w*=(?:'[^'\n]*'|[\w.:/@+-]*)$/;
const SHELL_STATE = /^(cd|set|umask|trap|alias|unset|exec|readonly|\.|source|eval)\b/;

/**
 * The checkpoints of a generated example (in order), placed by its sections (`RenderedExample.layout`); an answer
 * without a layout has none. Each is admitted only when the script's text proves the state can be rebuilt:
 * - `keys`: after the `keys` section when it opens the script and only makes directories and keys. It sets no
 *   variables and the rest only reads `keys/` (`-k`, `-in`), so the prefix's state is the final `keys/` with empty `att/` and `reports/`.
 * - `keyids`: where the `keyids` section starts, after a `step` section, when from there on the script only
 *   computes variables from files, writes `rego/`, `policy.json`, `policy.signed.json` and runs
 *   `witness policy check|sign|verify` (none writes elsewhere; a `witness run` there voids it) — a verify expected
 *   to fail may write `refused.log`, which `grep -F` reads — and the prefix never touches those paths: the
 *   prefix's state is the final directory without them, plus the prefix's literal exports.
 */
export function checkpoints(ex: Pick<RenderedExample, "answer" | "layout">): Checkpoint[] {
  const spans = ex.layout;
  const script = extractScript(ex.answer);
  const lines = script.split("\n");
  // The layout must describe this very script: contiguous spans from its first line to its last.
  if (!spans?.length || spans.some((s, i) => s.from !== (i ? spans[i - 1]!.to : 0) || s.to <= s.from) || spans.at(-1)!.to !== lines.length - 1) return [];
  const offsetOf = (line: number): number => lines.slice(0, line).reduce((n, l) => n + l.length + 1, 0);
  const linesOf = (s: SectionSpan): string[] => lines.slice(s.from, s.to);
  const out: Checkpoint[] = [];
  const first = spans[0]!;
  const keysEnd = offsetOf(first.to);
  const afterKeys = script.slice(keysEnd);
  if (first.id === "keys" && spans.length > 1 && linesOf(first).every((l) => KEYS_LINE.test(l)) && !afterKeys.replace(READS_KEY, "").includes("keys/")) {
    out.push({
      name: "keys",
      offset: keysEnd,
      preamble: "",
      keeps: ["keys"],
      rewind: (work) => {
        for (const e of readdirSync(work)) if (e !== "keys") rmSync(join(work, e), { recursive: true, force: true });
        mkdirSync(join(work, "att"));
        mkdirSync(join(work, "reports"));
      },
    });
  }
  const ids = spans.findIndex((s) => s.id === "keyids");
  if (ids > 0 && spans.slice(0, ids).some((s) => s.id === "step")) {
    const offset = offsetOf(spans[ids]!.from);
    const prefix = script.slice(0, offset);
    const suffix = lines.slice(spans[ids]!.from, -1).join("\n");
    // A here-document's body is data (a build script's own `set -eu` changes nothing here): only the shell's lines count.
    const shell = shellLines(prefix);
    const exports = shell.filter((l) => /\bexport\b/.test(l));
    const prefixOk = !POLICY_PATHS.test(prefix) && exports.every((l) => LITERAL_EXPORT.test(l)) && !shell.some((l) => SHELL_STATE.test(l));
    if (prefixOk && suffixOnlyWritesPolicy(suffix)) {
      out.push({
        name: "keyids",
        offset,
        preamble: exports.length ? `${exports.join("\n")}\n` : "",
        checks: shellLines(suffix)
          .filter((l) => /^witness verify /.test(l) || REFUSAL_LINE.test(l))
          .map((l) => `${l}\n`)
          .join(""),
        rewind: (work) => {
          for (const p of [...POLICY_FILES, "refused.log"]) rmSync(join(work, p), { recursive: true, force: true });
        },
      });
    }
  }
  return out;
}

/** The lines a shell reads as commands: every line but the bodies of here-documents (`<<EOF` … `EOF`). */
export function shellLines(text: string): string[] {
  const out: string[] = [];
  let end: { word: string; tabs: boolean } | undefined;
  for (const line of text.split("\n")) {
    if (end !== undefined) {
      if ((end.tabs ? line.replace(/^\t+/, "") : line) === end.word) end = undefined;
      continue;
    }
    out.push(line);
    const m = /<<(-?)\s*(['"]?)(\w+)\2\s*$/.exec(line);
    end = m ? { word: m[3]!, tabs: m[1] === "-" } : undefined;
  }
  return out;
}

/** Every line of the suffix is one the `keyids` checkpoint allows, and every variable it reads it assigned itself. */
function suffixOnlyWritesPolicy(suffix: string): boolean {
  const assigned = new Set<string>();
  const lines = suffix.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const a = ASSIGN_FROM_FILE.exec(l);
    if (a) {
      assigned.add(a[1]!);
      continue;
    }
    if (POLICY_LINE.test(l) || REFUSAL_LINE.test(l)) continue;
    const h = HEREDOC.exec(l);
    if (!h) return false;
    const expands = h[3] !== undefined;
    const word = h[2] ?? h[3];
    for (i++; i < lines.length && lines[i] !== word; i++) {
      if (!expands) continue;
      if (/`|\$\(/.test(lines[i]!)) return false;
      for (const m of lines[i]!.matchAll(/\$\{?(\w+)/g)) if (!assigned.has(m[1]!)) return false;
    }
    if (i >= lines.length) return false;
  }
  return true;
}

/**
 * Proves an example: its script (extracted from the answer text, the same way `sekft verify` does)
 * passes, each Rego rule's mutation makes `witness verify` fail with that rule's message, and the family's own
 * extra proof (`hooks.extraProof`, its family's), if any, passes.
 *
 * A mutant whose edit lies after a checkpoint runs only its remaining commands, in the state the identical
 * prefix left in the kept run (see `Checkpoint`); the kept text itself always runs in full, as written.
 */
export async function proveExample(ex: RenderedExample, env: ScriptEnv, hooks: ProofHooks = {}): Promise<Proof> {
  const refused = hooks.precheck?.(ex);
  if (refused) return { ...refused, cpuSeconds: 0 };
  return proveAnswer(ex, env, hooks);
}

/** Where two texts first differ (the length of their common prefix). */
function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

async function proveAnswer(ex: RenderedExample, env: ScriptEnv, hooks: ProofHooks): Promise<Proof> {
  const script = extractScript(ex.answer);
  const points = env.runner ? [] : checkpoints(ex);
  const shown = !env.runner && ex.mutations.some((m) => m.shownIn);
  const run = await runScript(script, { ...env, keepDir: points.length > 0 || shown });
  const runDir = run.dir;
  const states = new Map<CheckpointName | "keys+policy", string>();
  try {
    if (!run.ok) return { ok: false, kind: run.kind ?? "failed", reason: run.reason ?? "failed", stderrTail: run.stderrTail, cpuSeconds: run.cpuSeconds };
    // The rebuilt states assume the prefix left a private HOME empty; a run that wrote there starts mutants afresh.
    // (A HOME given by the caller is outside the run's state, shared by every run as before.)
    const home = runDir ? join(runDir, "home") : "";
    const usable = runDir && (!existsSync(home) || readdirSync(home).length === 0) ? points : [];
    const copy = { recursive: true, preserveTimestamps: true, verbatimSymlinks: true } as const;
    /** The state a run from `point` starts in, built once from the kept run's final directory. */
    const stateOf = (point: Checkpoint, withPolicy: boolean): string | undefined => {
      if (!runDir) return undefined;
      const name = withPolicy ? "keys+policy" : point.name;
      let state = states.get(name);
      if (!state) {
        state = makeOwnedTempDir("sekft-cp");
        const work = join(state, "work");
        mkdirSync(work);
        if (point.keeps) for (const e of point.keeps) cpSync(join(runDir, "work", e), join(work, e), copy);
        else cpSync(join(runDir, "work"), work, copy);
        mkdirSync(join(state, "home"));
        point.rewind(work);
        // After the rewind, which would remove them.
        for (const p of withPolicy ? POLICY_FILES : []) cpSync(join(runDir, "work", p), join(work, p), copy);
        states.set(name, state);
      }
      return state;
    };
    const keysPoint = usable.find((p) => p.name === "keys");
    const idsPoint = usable.find((p) => p.name === "keyids");
    /**
     * A variant whose edit (`at` to `end` in the script) lies between the `keys` and `keyids` points changes what the
     * steps record, never the policy: the suffix's policy-building lines read only `keys/` (the kept run's, unchanged
     * from `keys` on) and text of their own (`suffixOnlyWritesPolicy`), so they would write the very `rego/` and
     * `policy.json` the kept run wrote, and a policy signed by the same key. Such a variant runs its own text from
     * `keys` to `keyids`, then the suffix's checks (`Checkpoint.checks`) against the kept run's signed policy.
     */
    const reusePolicy = (variant: string, at: number, end: number): string | undefined => {
      if (!keysPoint || !idsPoint?.checks || at < keysPoint.offset || end > idsPoint.offset) return undefined;
      const suffix = script.slice(idsPoint.offset);
      if (!variant.endsWith(suffix)) return undefined;
      const middle = variant.slice(keysPoint.offset, variant.length - suffix.length);
      if (POLICY_PATHS.test(middle)) return undefined;
      return keysPoint.preamble + middle + idsPoint.checks;
    };
    /**
     * A variant of the script (its text identical to the script's before `at`), run from the last checkpoint before `at`;
     * with `end` (where its edit ends in the script), from `keys` with the kept policy when `reusePolicy` allows.
     */
    const runVariant = async (
      variant: string,
      at: number,
      extra: Partial<ScriptEnv>,
      end?: number,
    ): Promise<{ r: ScriptOutcome; from: MutationProof["from"] }> => {
      const reused = end === undefined ? undefined : reusePolicy(variant, at, end);
      const state = reused !== undefined && keysPoint ? stateOf(keysPoint, true) : undefined;
      if (reused !== undefined && state) return { r: await runScript(reused, { ...env, ...extra, startFrom: state }), from: "keys+policy" };
      const point = runDir ? usable.findLast((p) => p.offset <= at) : undefined;
      const from = point ? stateOf(point, false) : undefined;
      const text = point && from ? point.preamble + variant.slice(point.offset) : variant;
      const r = await runScript(text, { ...env, ...extra, ...(from ? { startFrom: from } : {}) });
      return { r, from: point && from ? point.name : "start" };
    };
    let cpu = run.cpuSeconds;
    const proofs: MutationProof[] = [];
    const started = performance.now();
    for (const m of ex.mutations) {
      // Shown by the kept script itself: its refused verify's log (which its own `grep -F` read) holds the message.
      const log = m.shownIn && runDir ? join(runDir, "work", m.shownIn) : undefined;
      if (log && existsSync(log) && readFileSync(log, "utf8").includes(m.message)) {
        proofs.push({ ...m, denied: true, ms: 0, from: "script" });
        continue;
      }
      const mutated = applyMutation(script, m);
      if (!mutated)
        return {
          ok: false,
          kind: "mutation-target",
          reason: `mutation-target: rule ${m.rule}: "${m.find}" must occur exactly once in the script`,
          stderrTail: "",
          cpuSeconds: cpu,
        };
      const t = performance.now();
      const at = script.indexOf(m.find);
      const { r, from } = await runVariant(mutated, at, { phrases: [m.message] }, at + m.find.length);
      cpu += r.cpuSeconds;
      if (r.kind === "interrupted") return { ok: false, kind: "interrupted", reason: "interrupted", stderrTail: "", cpuSeconds: cpu };
      if (r.ok || !r.found.includes(m.message)) {
        const what = r.ok ? "still passed" : `failed for another reason (${r.reason})`;
        return {
          ok: false,
          kind: "vacuous-rule",
          reason: `vacuous-rule: rule ${m.rule}: the mutated run ${what}, not with "${m.message}"`,
          stderrTail: r.stderrTail,
          cpuSeconds: cpu,
        };
      }
      proofs.push({ ...m, denied: true, ms: Math.round(performance.now() - t), from });
    }
    const mutationsMs = Math.round(performance.now() - started);
    // A family's own proof: its runs of variants of the script start, too, at the last checkpoint before their first edit.
    let extra: ExtraProofs = {};
    if (hooks.extraProof) {
      let interrupted = false;
      const run = async (variant: string, more: Partial<ScriptEnv>): Promise<ScriptOutcome> => {
        const { r } = await runVariant(variant, firstDifference(script, variant), more);
        cpu += r.cpuSeconds;
        if (r.kind === "interrupted") interrupted = true;
        return r;
      };
      const judged = await hooks.extraProof(ex, { script, run });
      if (interrupted) return { ok: false, kind: "interrupted", reason: "interrupted", stderrTail: "", cpuSeconds: cpu };
      if (!judged.ok) return { ...judged, cpuSeconds: cpu };
      extra = judged.extra;
    }
    return { ok: true, runMs: Math.round(run.durationMs), mutationsMs, cpuSeconds: cpu, mutations: proofs, ...extra };
  } finally {
    if (runDir) rmSync(runDir, { recursive: true, force: true });
    for (const s of states.values()) rmSync(s, { recursive: true, force: true });
  }
}
