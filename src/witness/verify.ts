import type { RunContext } from "../context.ts";
import { answerOf } from "../dataset/chat.ts";
import { DependencyError, InterruptedError } from "../errors.ts";
import { readJsonl } from "../dataset/jsonl.ts";
import { runPool } from "../pool/pool.ts";
import type { VerifyOptions } from "../tracks.ts";
import { Progress, type Tally } from "../ui/progress.ts";
import { Rng } from "../rng.ts";
import { locateWitness, WITNESS_VERSION } from "./locate.ts";
import { extractScript, runScript, scriptPath } from "./script.ts";

export interface VerifyResult {
  line: number;
  ok: boolean;
  reason?: string;
  seconds: number;
}

/** Re-runs the text of every example of any chat JSONL; the text alone is the test. */
export async function verifyDataset(ctx: RunContext, file: string, opts: VerifyOptions): Promise<{ passed: number; failed: number; results: VerifyResult[] }> {
  const rows = readJsonl(file).map((r) => ({ line: r.line, answer: answerOf(r.value, file, r.line) }));
  const witness = locateWitness(ctx.env, ctx.config.witness.witness_bin);
  if (!witness) throw new DependencyError(`witness ${WITNESS_VERSION} not found`, "Run scripts/setup.sh, set SEKFT_WITNESS, or set witness.witness_bin.");
  let chosen = rows;
  if (opts.sample !== undefined && opts.sample < rows.length) {
    chosen = new Rng(opts.seed)
      .shuffle(rows)
      .slice(0, opts.sample)
      .sort((a, b) => a.line - b.line);
  }
  const env = {
    path: scriptPath(witness, ctx.env.PATH ?? "/usr/bin:/bin"),
    home: ctx.env.HOME ?? "/tmp",
    timeoutMs: ctx.config.witness.timeout_s * 1000,
    signal: ctx.signal,
  };
  const results: VerifyResult[] = [];
  const progress = new Progress("verify", chosen.length, { tty: ctx.tty, quiet: opts.json && !ctx.tty, words: ["passed", "failed"] });
  await runPool(
    chosen,
    async (row): Promise<Tally> => {
      const r = await runScript(extractScript(row.answer), env);
      if (ctx.signal.aborted) return undefined;
      results.push({ line: row.line, ok: r.ok, reason: r.ok ? undefined : r.reason, seconds: r.durationMs / 1000 });
      return { ok: r.ok };
    },
    { workers: opts.workers, signal: ctx.signal, onEvent: progress.onEvent },
  );
  progress.end();
  if (ctx.signal.aborted) throw new InterruptedError();
  results.sort((a, b) => a.line - b.line);
  const failed = results.filter((r) => !r.ok);
  for (const f of failed) ctx.log.log(`${file}:${f.line}: ${f.reason}`);
  if (opts.json) process.stdout.write(`${JSON.stringify({ file, passed: results.length - failed.length, failed: failed.length, results })}\n`);
  return { passed: results.length - failed.length, failed: failed.length, results };
}
