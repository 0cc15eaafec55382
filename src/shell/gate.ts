import type { Cell, GateRecord, Mistake, Scenario } from "./bundle.ts";
import { EngineTimeoutError } from "../sandbox/docker.ts";
import { replayEpisode as replayOnce, type EpisodeEnv, type EpisodeResult } from "./episode.ts";

/** Raised when the engine, not the bundle, failed a replay twice: the gate reports it as `infra: …`. */
class InfraFailure extends Error {}

/** Replays an episode; an engine that does not answer in time gets one retry, then the gate says "infra". */
async function replayEpisode(env: EpisodeEnv, s: Scenario, commands: string[]): Promise<EpisodeResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await replayOnce(env, s, commands);
    } catch (error) {
      if (!(error instanceof EngineTimeoutError)) throw error;
      if (attempt >= 2) throw new InfraFailure(`infra: ${error.message} (twice; not held against the bundle)`);
    }
  }
}

/** The mutated command list the gate expects to fail, and how it was made. */
export function mutate(cell: Cell, s: Scenario): { commands: string[]; describe: string } | { error: string } {
  const cmds = s.reference.map((step) => step.cmd);
  if (cell.difficulty === "empty_queue") {
    // Doing nothing is the answer, so dropping a command proves nothing: acting anyway must fail instead.
    if (s.decoy.length === 0) return { error: "an empty-queue bundle needs decoy commands" };
    return { commands: [...cmds.slice(0, -1), ...s.decoy, cmds.at(-1)!], describe: `decoy inserted before the terminal: ${s.decoy.join(" ; ")}` };
  }
  const last = s.reference.findLastIndex((step) => step.work);
  // A blocked directive first leaves no work to drop: carrying on past it (the decoy) must fail instead.
  if (last < 0 && s.decoy.length > 0)
    return { commands: [...cmds.slice(0, -1), ...s.decoy, cmds.at(-1)!], describe: `decoy inserted before the terminal: ${s.decoy.join(" ; ")}` };
  if (last < 0) return { error: "the reference has no working command to drop" };
  return { commands: cmds.filter((_, i) => i !== last), describe: `dropped the last working command: ${cmds[last]}` };
}

/** The reference with a mistake's commands in place of its working steps (before the last step when it has none). */
export function withMistake(s: Scenario, m: Mistake): string[] {
  const cmds = s.reference.map((step) => step.cmd);
  const first = s.reference.findIndex((step) => step.work);
  if (first < 0) return [...cmds.slice(0, -1), ...m.work, cmds.at(-1)!];
  const last = s.reference.findLastIndex((step) => step.work);
  return [...cmds.slice(0, first), ...m.work, ...cmds.slice(last + 1)];
}

function why(r: EpisodeResult, expected: string): string {
  const t = r.terminal.kind === "none" ? "no terminal" : `terminal ${r.terminal.kind}`;
  const out = r.checkerOutput ? `: ${r.checkerOutput.split("\n").slice(-3).join(" | ")}` : "";
  return `checker exit ${r.checkerExit}, ${t} (expected ${expected})${out}`;
}

/** The gate (README "Shell scenarios"): untouched, reference, mutant, then every mistake, each run in a fresh container; never throws for a failing bundle. */
export async function gateScenario(env: EpisodeEnv, cell: Cell, s: Scenario, repeats: number): Promise<GateRecord> {
  const started = performance.now();
  try {
    return await gateOnce(env, cell, s, repeats);
  } catch (error) {
    if (!(error instanceof InfraFailure)) throw error;
    const total = Math.round(performance.now() - started);
    return { passed: false, reason: error.message, repeats, flaky: false, timings_ms: { untouched: null, reference: [], mutant: null, total }, mutant: "" };
  }
}

async function gateOnce(env: EpisodeEnv, cell: Cell, s: Scenario, repeats: number): Promise<GateRecord> {
  const started = performance.now();
  const timings = { untouched: null as number | null, reference: [] as number[], mutant: null as number | null, total: 0 };
  const mistakes: number[] = [];
  const checked: string[] = [];
  const record = (passed: boolean, reason: string | undefined, flaky = false, mutantText = ""): GateRecord => {
    timings.total = Math.round(performance.now() - started);
    const named = s.mistakes ? { mistakes: checked } : {};
    return {
      passed,
      ...(reason ? { reason } : {}),
      repeats,
      flaky,
      timings_ms: { ...timings, ...(s.mistakes ? { mistakes } : {}) },
      mutant: mutantText,
      ...named,
    };
  };
  const mutant = mutate(cell, s);
  if ("error" in mutant) return record(false, mutant.error);

  // Nothing to do (an empty queue, a blocked directive first): the untouched state is the right one.
  if (cell.difficulty !== "empty_queue" && s.reference.some((step) => step.work)) {
    const untouched = await replayEpisode(env, s, []);
    timings.untouched = Math.round(untouched.durationMs);
    if (untouched.checkerExit === 0) return record(false, "checker passes on the untouched fixtures", false, mutant.describe);
  }

  const reference = s.reference.map((step) => step.cmd);
  const results: EpisodeResult[] = [];
  for (let i = 0; i < repeats; i++) {
    const r = await replayEpisode(env, s, reference);
    timings.reference.push(Math.round(r.durationMs));
    results.push(r);
  }
  const passes = results.filter((r) => r.passed).length;
  if (passes === 0) return record(false, `reference fails: ${why(results[0]!, s.terminal)}`, false, mutant.describe);
  if (passes < repeats) {
    const bad = results.find((r) => !r.passed)!;
    return record(false, `reference is flaky (${passes}/${repeats} passed): ${why(bad, s.terminal)}`, true, mutant.describe);
  }

  const m = await replayEpisode(env, s, mutant.commands);
  timings.mutant = Math.round(m.durationMs);
  if (m.passed) return record(false, `mutated reference still passes (${mutant.describe}): the checker does not detect it`, false, mutant.describe);

  // Each plausible mistake in a fresh container: a checker that passes one would reward it.
  for (const mistake of s.mistakes ?? []) {
    const r = await replayEpisode(env, s, withMistake(s, mistake));
    mistakes.push(Math.round(r.durationMs));
    if (r.passed) return record(false, `the checker passes the mistake "${mistake.name}" (${mistake.work.join(" ; ")})`, false, mutant.describe);
    checked.push(mistake.name);
  }
  return record(true, undefined, false, mutant.describe);
}
