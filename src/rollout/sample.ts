import { InterruptedError } from "../errors.ts";
import { Episode, type EpisodeEnv } from "../sandbox/episode.ts";
import type { Terminal } from "../sandbox/session.ts";
import type { Bundle } from "../shell/bundle.ts";
import type { RolloutConfig } from "../config/rollout-schema.ts";
import type { Operator } from "./operators.ts";
import { loginScreen, type Outcome, screenOf, type Trajectory, type TurnRecord } from "./record.ts";

/** The outcome of a finished episode (DESIGN: keep = success). */
export function outcomeOf(terminal: Terminal, checkerExit: number, expected: string, stuck = false): Outcome {
  if (terminal.kind === "none") return stuck ? "stuck" : "no-terminal";
  if (checkerExit !== 0) return "wrong-state";
  if (terminal.kind !== expected) return "wrong-terminal";
  return "success";
}

/**
 * Runs one sample: a fresh episode holding the bundle's fixtures, the operator's moves one by one (each shown the
 * screen its last command left), then the hardened check. Engine or model failures become `infra-error`
 * records (retried by the next run, never negatives); only an interrupt throws.
 */
export async function runSample(
  env: EpisodeEnv,
  bundle: Bundle,
  operator: Operator,
  sample: number,
  limits: RolloutConfig,
  override?: string,
): Promise<Trajectory> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const variant = override ?? operator.variant(bundle, sample) ?? "none";
  const login = loginScreen(bundle.login_text, limits.prompt);
  const base = {
    key: `${bundle.id}#${operator.name}#${sample}`,
    bundle_id: bundle.id,
    cell: bundle.cell as Record<string, string>,
    sample,
    operator: operator.name,
    variant,
    model: operator.model,
    scaffold_version: operator.name === "model" ? limits.scaffold_version : "none",
    login,
    started_at: startedAt,
  };
  const turns: TurnRecord[] = [];
  const session = operator.start(bundle, sample, override);
  const deadline = AbortSignal.timeout(Math.round(limits.sample_timeout_s * 1000));
  const signal = AbortSignal.any([env.signal, deadline]);
  let terminal: string | null = null;
  let terminalAt: string | undefined;
  let lastRaw: Pick<Trajectory, "terminal_raw" | "stop_raw"> = {};
  let reason: string | undefined;
  let timedOut = false;
  let readyMs = 0;
  // The same command leaving the same screen, run after run: the operator is stuck (rollout.stuck_repeats).
  let repeats = 0;
  let stuck = false;
  const finish = (outcome: Outcome, checker: Trajectory["checker"], extra: Partial<Trajectory> = {}): Trajectory => ({
    ...base,
    turns,
    terminal,
    ...(terminalAt ? { terminal_at: terminalAt } : {}),
    ...lastRaw,
    outcome,
    keep: outcome === "success",
    ...(reason ? { reason } : {}),
    checker,
    usage: { ...session.usage },
    ...(session.calls ? { calls: session.calls.map((c) => ({ ...c })) } : {}),
    timings: { ready_ms: Math.round(readyMs), total_ms: Math.round(performance.now() - started) },
    ...extra,
  });
  try {
    await using episode = await Episode.open(env, bundle);
    readyMs = episode.readyMs;
    let screen = login;
    for (let turn = 0; turn < limits.max_turns && !episode.ended; turn++) {
      const move = await session.next(screen, signal);
      if (env.signal.aborted) throw new InterruptedError();
      // Before the deadline check: an endpoint still failing when the sample's time ran out is infra, not a timeout.
      if (move.kind === "infra") return finish("infra-error", null, { reason: move.reason });
      if (move.kind === "aborted" || deadline.aborted) {
        timedOut = true;
        break;
      }
      if (move.kind === "stop") {
        reason = move.reason;
        if (move.raw !== undefined) lastRaw = { stop_raw: move.raw };
        break;
      }
      const t0 = performance.now();
      const at = new Date().toISOString();
      const result = await episode.run(move.cmd);
      if ("kind" in result) {
        terminal = move.cmd.trim();
        terminalAt = at;
        if (move.raw !== undefined) lastRaw = { terminal_raw: move.raw };
        break;
      }
      const shown = screenOf(result.stdout + result.stderr, limits.prompt, limits.max_observation_bytes);
      turns.push({
        cmd: move.cmd,
        ...(move.raw !== undefined ? { raw: move.raw } : {}),
        exit_code: result.exitCode,
        output: shown.text,
        truncated: shown.truncated || result.truncated,
        ms: Math.round(performance.now() - t0),
        at,
      });
      const prev = turns.at(-2);
      repeats = prev && prev.cmd === move.cmd && prev.output === shown.text ? repeats + 1 : 1;
      screen = shown.text;
      if (repeats >= limits.stuck_repeats) {
        stuck = true;
        reason = `stuck: the same command left the same screen ${repeats} times in a row`;
        break;
      }
      if (deadline.aborted) {
        timedOut = true;
        break;
      }
    }
    if (!timedOut && terminal === null && !reason) reason = `no terminal within ${limits.max_turns} turns`;
    const check = await episode.check(bundle.checker);
    const outcome = timedOut ? "timeout" : outcomeOf(episode.terminal, check.exitCode, bundle.terminal, stuck);
    return finish(outcome, { exit_code: check.exitCode, output: check.output });
  } catch (error) {
    if (env.signal.aborted || error instanceof InterruptedError) throw new InterruptedError();
    return finish("infra-error", null, { reason: `infra: ${(error as Error)?.message ?? String(error)}` });
  }
}
