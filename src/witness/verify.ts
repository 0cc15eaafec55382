import { basename, dirname } from "node:path";
import type { RunContext } from "../context.ts";
import { answerOf } from "../dataset/chat.ts";
import { streamJsonl } from "../dataset/jsonl.ts";
import { readManifest } from "../dataset/manifest.ts";
import { DependencyError, InterruptedError, UsageError } from "../errors.ts";
import { buildCaches, isolatedRunner, type ScriptRunner } from "../proc/isolate.ts";
import { runPool } from "../pool/pool.ts";
import { Rng } from "../rng.ts";
import type { VerifyOptions } from "../track-types.ts";
import { printable } from "../ui/format.ts";
import { Progress, type Tally } from "../ui/progress.ts";
import { type Diagnosis, diagnose, type WitnessFlags, witnessFlags } from "./diagnose.ts";
import { locateWitness, WITNESS_HINT, WITNESS_VERSION } from "./locate.ts";
import { extractAnyScript, runScript, scriptPath } from "./script.ts";
import { statedPrerequisites } from "./sections.ts";

/** One line's verdict; `--json` prints one per line as they finish. */
export interface VerifyRecord {
  type: "result";
  file: string;
  line: number;
  ok: boolean;
  seconds: number;
  /** What to fix first: the first diagnosis, else the failure's class (`keyid-mismatch`, `missing-tool`, …). */
  cause?: string;
  reason?: string;
  failing_command?: string;
  message?: string;
  /** Who printed `message`: witness (its logged error) or the shell (a syntax error, a missing tool, another tool's line). */
  said_by?: "witness" | "shell";
  diagnoses?: Diagnosis[];
}

interface Row {
  line: number;
  answer: string;
}

/** True when `--trust` verified the signature over the manifest beside the file and the manifest lists the file: a dataset of ours. */
function isTrusted(file: string, trusted: boolean | undefined): boolean {
  return Boolean(trusted && readManifest(dirname(file))?.files[basename(file)]);
}

/** First pass: every line is read and checked (a bad one is an InputError before anything runs); `--sample N` is drawn here by reservoir sampling. */
async function scan(file: string, sample: number | undefined, seed: number): Promise<{ total: number; chosen?: Row[] }> {
  const rng = new Rng(seed);
  const chosen: Row[] = [];
  let total = 0;
  for await (const r of streamJsonl(file)) {
    const answer = answerOf(r.value, file, r.line);
    if (sample !== undefined) {
      if (total < sample) chosen.push({ line: r.line, answer });
      else {
        const j = Math.floor(rng.next() * (total + 1));
        if (j < sample) chosen[j] = { line: r.line, answer };
      }
    }
    total += 1;
  }
  return { total, chosen: sample === undefined ? undefined : chosen.sort((a, b) => a.line - b.line) };
}

async function* rowsOf(file: string): AsyncGenerator<Row> {
  for await (const r of streamJsonl(file)) yield { line: r.line, answer: answerOf(r.value, file, r.line) };
}

/** Where scripts run: a fresh container each (`sandbox`), or an isolated host process (`host`). */
export async function openRunner(ctx: RunContext, sandbox: boolean, witness: string): Promise<ScriptExecutor & { dispose: () => Promise<void> }> {
  if (sandbox) {
    const { VerifyBox } = await import("../sandbox/verify-box.ts");
    const box = await VerifyBox.open(ctx.env, witness, ctx.config.witness.sandbox);
    return { runner: box.runner, cold: box.coldRunner, path: box.path, dispose: () => box[Symbol.asyncDispose]() };
  }
  const caches = ctx.config.witness.sandbox.build_caches ? buildCaches(ctx.env) : [];
  const { runner, namespaces } = await isolatedRunner(ctx.env.HOME, dirname(witness), caches);
  if (!namespaces) ctx.log.warn("this host refuses unprivileged namespaces: --host scripts run in their own session under an intermediate shell only");
  const cold = caches.length ? (await isolatedRunner(ctx.env.HOME, dirname(witness), [])).runner : undefined;
  return { runner, cold, path: scriptPath(witness, ctx.env.PATH ?? "/usr/bin:/bin"), dispose: async () => undefined };
}

// Every field below comes from the dataset or from what its script printed: each is one line, control characters written out.
function formatFailure(r: VerifyRecord): string {
  const out = [`${r.file}:${r.line}: ${printable(r.reason ?? "")}`];
  if (r.failing_command) out.push(`  failed at: ${printable(r.failing_command)}`);
  if (r.message) out.push(`  ${r.said_by === "shell" ? "the script said" : "witness said"}: ${printable(r.message)}`);
  for (const d of r.diagnoses ?? []) out.push(`  ${printable(d.code)}: ${printable(d.message)}`);
  return out.join("\n");
}

/**
 * A report line on stderr as it is, unless the logger is quiet: the logger's terminal reporter reads `x` as markup and
 * drops the backticks, which the diagnoses use to quote commands and fences. Every field was passed through `printable`.
 */
function say(ctx: RunContext, text: string): void {
  if (ctx.log.level >= 2) process.stderr.write(`${text}\n`);
}

/** The summary: failures grouped by cause, most frequent first, each with a count and one example line. */
export function formatCauses(causes: Map<string, { count: number; example: VerifyRecord }>): string {
  const rows = [...causes.entries()].sort((a, b) => b[1].count - a[1].count);
  if (!rows.length) return "";
  const width = Math.max(...rows.map(([c]) => printable(c).length));
  const lines = rows.map(([cause, { count, example }]) => {
    const why = example.diagnoses?.[0]?.message ?? example.message ?? example.reason ?? "";
    return `  ${printable(cause).padEnd(width)} ${String(count).padStart(6)}  e.g. line ${example.line}: ${printable(why.slice(0, 160))}`;
  });
  return `failures by cause:\n${lines.join("\n")}`;
}

/** An answer's verdict as `verify` gives it: its script (any fence) run by the runner, a failure named by `diagnose` or the runner's reason. */
export type Judgement = Omit<VerifyRecord, "type" | "file" | "line">;

/** Where a judged script runs: `runner`, and `cold`, the same without the user's read-only build caches (when any). */
export interface ScriptExecutor {
  runner: ScriptRunner;
  cold?: ScriptRunner;
  path: string;
}

/**
 * What a Go build that missed the read-only build cache prints when it fails writing to it (the cache, not the
 * script, is at fault): both phrases somewhere on stderr. A retry runs with less, never more, than the first run.
 */
export const READ_ONLY_CACHE_MISS = ["/go-build/", ": read-only file system"];

/** Runs one answer's script with `exec` and classifies the outcome (the one judge of `verify` and `eval`). */
export async function judgeAnswer(
  ctx: RunContext,
  exec: ScriptExecutor,
  answer: string,
  opts: { now: Date; flags: WitnessFlags; expect?: "witness-verify" | "any"; statedPath?: boolean },
): Promise<Judgement> {
  const { script, shell } = extractAnyScript(answer);
  const stated = opts.statedPath ? statedPrerequisites(answer) : undefined;
  if (stated && stated.length !== 1)
    return {
      ok: false,
      seconds: 0,
      cause: "no-prerequisites",
      reason: `no-prerequisites: --stated-path needs one "You need … (plus POSIX utilities)" sentence naming the answer's programs; it has ${stated.length}`,
    };
  const run = (runner: ScriptRunner) =>
    runScript(script, {
      path: exec.path,
      timeoutMs: ctx.config.witness.timeout_s * 1000,
      signal: ctx.signal,
      shell,
      trace: true,
      runner,
      expect: opts.expect ?? "witness-verify",
      phrases: READ_ONLY_CACHE_MISS,
      ...(stated ? { only: stated[0] } : {}),
    });
  let r = await run(exec.runner);
  // Go cannot use a read-only cache it misses: such a run is tried once more with a cold, writable one of its own.
  if (!r.ok && exec.cold && !ctx.signal.aborted && r.found.length === READ_ONLY_CACHE_MISS.length) r = await run(exec.cold);
  const judged: Judgement = { ok: r.ok, seconds: Math.round(r.durationMs) / 1000 };
  if (r.ok) return judged;
  const diagnoses = diagnose(answer, script, `${r.stderrTail}\n${r.message ?? ""}`, {
    now: opts.now,
    horizonDays: ctx.config.witness.policy_horizon_days,
    flags: opts.flags,
    lang: shell,
  });
  return Object.assign(judged, {
    cause: diagnoses[0]?.code ?? r.kind ?? "failed",
    reason: r.reason,
    ...(r.failingCommand ? { failing_command: r.failingCommand } : {}),
    ...(r.message ? { message: r.message, said_by: r.messageFrom ?? "witness" } : {}),
    ...(diagnoses.length ? { diagnoses } : {}),
  });
}

/**
 * Re-runs the answer text of every example of any chat JSONL (or `--sample N` of them, drawn while streaming);
 * the text alone is the test. Scripts run in the sandbox unless the dataset's signature verified against a
 * trusted key (`--trust`) or `--host` says otherwise; an unsigned manifest beside the file proves nothing.
 */
export async function verifyDataset(ctx: RunContext, file: string, opts: VerifyOptions): Promise<{ passed: number; failed: number }> {
  const witness = locateWitness(ctx.env, ctx.config.witness.witness_bin);
  if (!witness) throw new DependencyError(`witness ${WITNESS_VERSION} not found`, WITNESS_HINT);
  const { total, chosen } = await scan(file, opts.sample, opts.seed);
  const sandbox = opts.mode === "sandbox" || (opts.mode === undefined && !isTrusted(file, opts.trusted));
  // The sandbox maps the run directory, where the stated programs' links live; the host runner may move witness.
  if (opts.statedPath && !sandbox) throw new UsageError("--stated-path runs in the sandbox only: drop --host (and --trust, or add --sandbox)");
  ctx.log.info(`${file}: ${chosen?.length ?? total} of ${total} line(s), ${sandbox ? "each in a sandbox container" : "on the host, isolated"}`);
  const flags = await witnessFlags(witness);
  const exec = await openRunner(ctx, sandbox, witness);
  const now = new Date();
  const causes = new Map<string, { count: number; example: VerifyRecord }>();
  let passed = 0;
  let failed = 0;
  const progress = new Progress("verify", chosen?.length ?? total, { tty: ctx.tty, quiet: opts.json && !ctx.tty, words: ["passed", "failed"] });
  try {
    await runPool(
      chosen ?? rowsOf(file),
      async (row): Promise<Tally> => {
        const judged = await judgeAnswer(ctx, exec, row.answer, { now, flags, expect: opts.expect, statedPath: opts.statedPath });
        if (ctx.signal.aborted) return undefined;
        const record: VerifyRecord = { type: "result", file, line: row.line, ...judged };
        if (!record.ok) {
          const entry = causes.get(record.cause!) ?? { count: 0, example: record };
          entry.count += 1;
          causes.set(record.cause!, entry);
          failed += 1;
          say(ctx, formatFailure(record));
        } else passed += 1;
        if (opts.json) process.stdout.write(`${JSON.stringify(record)}\n`);
        return { ok: record.ok };
      },
      { workers: opts.workers, signal: ctx.signal, onEvent: progress.onEvent, more: () => !(opts.failFast && failed > 0) },
    );
  } finally {
    progress.end();
    await exec.dispose();
  }
  if (ctx.signal.aborted) throw new InterruptedError();
  const summary = formatCauses(causes);
  if (summary) say(ctx, summary);
  if (opts.json) {
    const byCause = Object.fromEntries([...causes].map(([c, v]) => [c, { count: v.count, example_line: v.example.line }]));
    process.stdout.write(`${JSON.stringify({ type: "summary", file, total, checked: passed + failed, passed, failed, causes: byCause })}\n`);
  }
  return { passed, failed };
}
