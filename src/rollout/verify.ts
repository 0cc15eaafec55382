import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RunContext } from "../context.ts";
import { readJsonl } from "../dataset/jsonl.ts";
import { readManifest } from "../dataset/manifest.ts";
import { InputError, InterruptedError } from "../errors.ts";
import { runPool } from "../pool/pool.ts";
import { DockerEngine } from "../sandbox/docker.ts";
import { Episode } from "../sandbox/episode.ts";
import { findImage, openImage } from "../sandbox/image.ts";
import { readBundle } from "../shell/store.ts";
import type { VerifyOptions } from "../track-types.ts";
import { Progress, type Tally } from "../ui/progress.ts";
import { atifProblems } from "./atif.ts";
import { type Outcome, ROLLOUT_FILES, type ToolArguments, type Trajectory } from "./record.ts";
import { type Format, stepIndex, stepProblem } from "./steps.ts";
import { outcomeOf } from "./sample.ts";
import { printable } from "../ui/format.ts";
import { VERSION } from "../version.ts";

/**
 * The documented replay rule: a sample's outcome must reproduce. `timeout`, `stuck` and `no-terminal` all mean
 * "the episode ended without a terminal" on replay (a replay has no model, no wall-clock race and no repeat
 * count); outputs and timings may differ, exit codes are compared and reported but only the outcome decides.
 */
export function replayable(o: Outcome): string {
  return o === "timeout" || o === "stuck" ? "no-terminal" : o;
}

/**
 * `sekft verify DIR/rollout`: every sample's ATIF file must be what its trajectory line gives (all lines, even
 * with `--sample`; a sample whose file is missing or differs counts as failed), then every recorded trajectory's
 * commands are re-run in a fresh sandbox and the outcome must reproduce. Each step-level KTO line must be a step a
 * recorded sample took (an undesirable one, of a sample that failed); one that is not counts as failed.
 */
export async function verifyRollout(ctx: RunContext, dir: string, opts: VerifyOptions): Promise<{ passed: number; failed: number }> {
  const file = join(dir, ROLLOUT_FILES.trajectories);
  let rows = readJsonl<Trajectory>(file);
  const manifest = readManifest(dir);
  let atifBad = new Set<number>();
  if (!existsSync(join(dir, "atif")) && !Object.keys(manifest?.files ?? {}).some((f) => f.startsWith("atif/")))
    ctx.log.warn(`${dir}: no atif/ directory (made by a sekft that wrote no ATIF trajectories): not checked`);
  else {
    const problems = atifProblems(dir, rows, manifest?.sekft_version ?? VERSION);
    for (const p of problems) ctx.log.warn(`${join(dir, p.file)}: ${p.why} (${file}:${p.line})`);
    atifBad = new Set(problems.map((p) => p.line));
  }
  const stepBad = stepFileProblems(
    ctx,
    dir,
    rows.map((r) => r.value),
    manifest?.tools ?? {},
  );
  if (opts.sample !== undefined && opts.sample < rows.length)
    rows = rows.filter((_, i) => i % Math.ceil(rows.length / opts.sample!) === 0).slice(0, opts.sample);
  const bundles = new Map<string, ReturnType<typeof readBundle>>();
  for (const { value } of rows) {
    if (!bundles.has(value.bundle_id)) bundles.set(value.bundle_id, readBundle(join(dir, ROLLOUT_FILES.bundles, `${value.bundle_id}.json`)));
  }
  if (!rows.length) throw new InputError(`${file}: no trajectories`);
  await using engine = await DockerEngine.connect(ctx.env);
  await engine.reapOrphans();
  const fallback = await openImage(engine, ctx.config.shell.image);
  const progress = new Progress("replay", rows.length, { tty: ctx.tty, quiet: opts.json && !ctx.tty, words: ["reproduced", "differ"] });
  const results: { line: number; key: string; ok: boolean; recorded: string; replayed: string; note?: string }[] = [];
  await runPool(
    rows,
    async ({ line, value: t }): Promise<Tally> => {
      const bundle = bundles.get(t.bundle_id)!;
      const image = (await findImage(engine, bundle.image.id)) ?? fallback;
      await using episode = await Episode.open({ engine, image, sandbox: ctx.config.shell.sandbox, signal: ctx.signal }, bundle);
      const diverged: number[] = [];
      for (const [i, turn] of t.turns.entries()) {
        const r = await episode.run(turn.cmd);
        if (!("kind" in r) && r.exitCode !== turn.exit_code) diverged.push(i);
      }
      if (t.terminal !== null) await episode.run(t.terminal);
      const check = await episode.check(bundle.checker);
      const replayed = outcomeOf(episode.terminal, check.exitCode, bundle.terminal);
      const ok = replayed === replayable(t.outcome);
      const note = diverged.length ? `exit codes differ at turn ${diverged.join(", ")}` : undefined;
      results.push({ line, key: t.key, ok, recorded: t.outcome, replayed, ...(note ? { note } : {}) });
      if (!ok)
        ctx.log.warn(
          `${file}:${line}: ${t.key}${t.keep ? " (a keeper)" : ""} recorded ${t.outcome}, replayed ${replayed}: ${printable(check.output.split("\n").at(-1) ?? "")}`,
        );
      return { ok };
    },
    { workers: opts.workers, signal: ctx.signal, onEvent: progress.onEvent },
  );
  progress.end();
  if (ctx.signal.aborted) throw new InterruptedError();
  results.sort((a, b) => a.line - b.line);
  // A sample fails when its replay differs or its ATIF file does; an ATIF failure outside `--sample` counts too.
  const bad = new Set([...results.filter((r) => !r.ok).map((r) => r.line), ...atifBad]);
  const checked = new Set([...results.map((r) => r.line), ...atifBad]);
  if (opts.json) for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
  return { passed: checked.size - bad.size, failed: bad.size + stepBad };
}

/** Every line of the step-level KTO files must be a step a recorded sample took (`steps.ts`'s `stepProblem`); returns how many are not. */
function stepFileProblems(ctx: RunContext, dir: string, samples: Trajectory[], tools: Record<string, unknown>): number {
  const format: Format = tools.format === "tools" ? "tools" : "chat";
  const args: ToolArguments = tools.tool_arguments === "object" ? "object" : "string";
  const index = stepIndex(samples, format, args);
  let bad = 0;
  for (const name of [ROLLOUT_FILES.ktoSteps, ROLLOUT_FILES.ktoStepsValid]) {
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    for (const { line, value } of readJsonl<Record<string, unknown>>(file)) {
      const why = stepProblem(value, index);
      if (!why) continue;
      bad++;
      ctx.log.warn(`${file}:${line}: ${why}`);
    }
  }
  return bad;
}
