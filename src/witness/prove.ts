import { runScript, extractScript, type ScriptEnv } from "./script.ts";
import type { Mutation, RenderedExample } from "./render.ts";

export interface MutationProof extends Mutation {
  denied: boolean;
  ms: number;
}

export type Proof =
  | { ok: true; runMs: number; mutationsMs: number; cpuSeconds: number; mutations: MutationProof[] }
  | { ok: false; reason: string; stderrTail: string; cpuSeconds: number };

/** Applies a mutation to a script; the target must occur exactly once, or the proof is void. */
export function applyMutation(script: string, m: Mutation): string | undefined {
  const first = script.indexOf(m.find);
  if (first < 0 || script.indexOf(m.find, first + 1) >= 0) return undefined;
  return script.slice(0, first) + m.replace + script.slice(first + m.find.length);
}

/**
 * Proves an example: its script (extracted from the answer text, the same way `sekft verify` does)
 * passes, and each Rego rule's mutation makes `witness verify` fail with that rule's message.
 */
export async function proveExample(ex: RenderedExample, env: ScriptEnv): Promise<Proof> {
  const script = extractScript(ex.answer);
  const run = await runScript(script, env);
  if (!run.ok) return { ok: false, reason: run.reason ?? "failed", stderrTail: run.stderrTail, cpuSeconds: run.cpuSeconds };
  let cpu = run.cpuSeconds;
  const proofs: MutationProof[] = [];
  const started = performance.now();
  for (const m of ex.mutations) {
    const mutated = applyMutation(script, m);
    if (!mutated)
      return { ok: false, reason: `mutation-target: rule ${m.rule}: "${m.find}" must occur exactly once in the script`, stderrTail: "", cpuSeconds: cpu };
    const t = performance.now();
    const r = await runScript(mutated, { ...env, phrases: [m.message] });
    cpu += r.cpuSeconds;
    if (r.reason?.startsWith("interrupted")) return { ok: false, reason: "interrupted", stderrTail: "", cpuSeconds: cpu };
    if (r.ok || !r.found.includes(m.message)) {
      const what = r.ok ? "still passed" : `failed for another reason (${r.reason})`;
      return { ok: false, reason: `vacuous-rule: rule ${m.rule}: the mutated run ${what}, not with "${m.message}"`, stderrTail: r.stderrTail, cpuSeconds: cpu };
    }
    proofs.push({ ...m, denied: true, ms: Math.round(performance.now() - t) });
  }
  return { ok: true, runMs: Math.round(run.durationMs), mutationsMs: Math.round(performance.now() - started), cpuSeconds: cpu, mutations: proofs };
}
