import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { RunContext } from "../context.ts";
import { configDigest } from "../dataset/manifest.ts";
import { RunJournal, shardLabel, startOver } from "../dataset/run-journal.ts";
import { endRun, partialOf, runLoop } from "../run/loop.ts";
import { KEPT, NO_VERDICT, type Outcome, rejected } from "../run/outcome.ts";
import type { GenOptions, GenSummary } from "../track-types.ts";
import { prepareWitness } from "./prepare.ts";
import { proveExample } from "./prove.ts";
import { familyShapers, proofHooksOf } from "./families.ts";
import { recorded, renderQuestion } from "./render.ts";
import { renderExample } from "./families.ts";
import { GENERATOR_VERSION, sampleSpecs, type ExampleSpec } from "./spec.ts";
import { writeWitnessOutputs, type JournalRecord } from "./outputs.ts";
import { loadTokenCounter } from "../dataset/tokens.ts";
import { answerBudget, overBudget } from "./lengths.ts";

export interface WitnessGenSummary extends GenSummary {
  reasons: Record<string, number>;
  seconds: number;
  toolCpuSeconds: number;
  sekftCpuSeconds: number;
}

/** What decides the witness dataset a directory holds: a rerun with anything else is another run. */
function witnessIdentity(ctx: RunContext, opts: GenOptions) {
  return { track: "witness", generator: GENERATOR_VERSION, config_digest: configDigest(ctx.config), seed: opts.seed, shard: shardLabel(opts.shard) };
}

/** Generates the witness dataset: sample, render, prove by running, journal, then write outputs. */
export async function genWitness(ctx: RunContext, opts: GenOptions): Promise<WitnessGenSummary> {
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  // The tokenizer's tables load (some hundred ms) while witness and the tools are probed.
  const tokenCounter = loadTokenCounter();
  tokenCounter.catch(() => undefined); // awaited below: a failure surfaces there, not as an unhandled rejection
  const setup = await prepareWitness(ctx);
  const dir = join(opts.out, "witness");
  if (opts.force) startOver(dir);
  mkdirSync(dir, { recursive: true });
  // The journal refuses another run's directory before anything in it is touched.
  using journal = new RunJournal<JournalRecord>(join(dir, "journal.jsonl"), witnessIdentity(ctx, opts), dir);
  // Outputs are rebuilt from the journal at the end; until then none may look complete.
  for (const f of ["manifest.json", "train.jsonl", "valid.jsonl", "meta.jsonl", "rejects.jsonl"]) rmSync(join(dir, f), { force: true });
  if (journal.repaired) ctx.log.warn(`${journal.file}: dropped a torn last line from an interrupted run`);
  for (const line of journal.broken) ctx.log.warn(`${journal.file}:${line}: the entry does not match its digest (edited?): it is proved again, not reused`);
  const done = new Map(journal.records.map((r) => [r.id, r]));
  if (done.size) ctx.log.info(`resuming: ${done.size} examples already decided in ${dir}`);

  // Decide which stream entries count: the sampler is deterministic, so a resumed run sees the same stream.
  const order: { index: number; id: string; spec: ExampleSpec }[] = [];
  const resumed = { kept: 0, rejected: 0 };
  let toolCpu = 0;
  const shard = opts.shard;
  const specs = (function* () {
    // Every shard walks the same stream, so paraphrase caps and question uniqueness hold across shards.
    const w = ctx.config.witness;
    const questionOf = (spec: ExampleSpec): string =>
      spec.family && spec.family !== "attest" ? renderExample(spec, w, setup.catalog).question : renderQuestion(spec, w);
    for (const entry of sampleSpecs(setup.dims, opts.seed, questionOf, familyShapers(w))) {
      if (entry.index % shard.total === shard.index) yield entry;
    }
  })();
  // Walk past what the journal already decided, so the kept count is right before anything new is dispatched.
  const lastIndex = journal.records.reduce((m, r) => Math.max(m, r.index), -1);
  const pending: { index: number; id: string; spec: ExampleSpec }[] = [];
  while (lastIndex >= 0) {
    const e = specs.next();
    if (e.done) break;
    order.push(e.value);
    const prior = done.get(e.value.id);
    if (!prior) pending.push(e.value);
    else if (prior.status === "kept") resumed.kept += 1;
    else resumed.rejected += 1;
    if (e.value.index >= lastIndex) break;
  }
  const stream = (function* () {
    yield* pending;
    for (let e = specs.next(); !e.done; e = specs.next()) {
      order.push(e.value);
      yield e.value;
    }
  })();

  const env = { ...setup.scriptEnv, timeoutMs: ctx.config.witness.timeout_s * 1000 };
  const countTokens = await tokenCounter;
  // An answer over its family's budget is refused before its script runs (the cheap check), never cut.
  const tooLong = (spec: ExampleSpec, answer: string): string | undefined => {
    const family = spec.family ?? "attest";
    return overBudget(countTokens(answer), answerBudget(ctx.config.witness, family), family);
  };
  const run = await runLoop(
    ctx,
    stream,
    async (entry, ic): Promise<Outcome> => {
      const drafted = renderExample(entry.spec, ctx.config.witness, setup.catalog);
      const over = tooLong(entry.spec, drafted.answer);
      if (over) {
        const record: JournalRecord = { id: entry.id, index: entry.index, status: "rejected", spec: entry.spec, reason: `too-long: ${over}`, stderrTail: "" };
        journal.append(record);
        done.set(entry.id, record);
        return rejected("too-long", over);
      }
      const hooks = proofHooksOf(entry.spec);
      const proof = await proveExample(drafted, { ...env, signal: ic.signal }, hooks);
      // The family settles what its extra proof showed (a question may quote the error a run really printed).
      const settled = proof.ok && hooks?.settle ? hooks.settle(drafted, proof) : drafted;
      const rendered = recorded(settled);
      toolCpu += proof.cpuSeconds;
      if (ic.signal.aborted || (!proof.ok && proof.reason === "interrupted")) return NO_VERDICT;
      const record: JournalRecord = proof.ok
        ? { id: entry.id, index: entry.index, status: "kept", spec: entry.spec, rendered, proof }
        : { id: entry.id, index: entry.index, status: "rejected", spec: entry.spec, reason: proof.reason, stderrTail: proof.stderrTail };
      journal.append(record);
      done.set(entry.id, record);
      if (proof.ok) return KEPT;
      ctx.log.debug(`rejected ${entry.id}: ${proof.reason}`);
      return rejected(proof.kind, proof.reason);
    },
    {
      label: "witness",
      words: ["kept", "rejected"],
      total: opts.count,
      counts: "ok",
      keep: opts.count,
      resumed,
      workers: opts.workers,
      giveUp: { after: ctx.config.run.give_up_after, share: ctx.config.run.give_up_share },
    },
  );
  const rejectsHint = `See ${join(dir, "rejects.jsonl")} for every reason.`;
  const tooLongNote = run.reasons["too-long"]
    ? `; ${run.reasons["too-long"]} answers were over their token budget (too-long): raise witness.max_answer_tokens or the family's own witness.families.<family>.max_answer_tokens`
    : "";
  const end = { label: "witness", count: opts.count, noun: "examples", rejectsHint, note: tooLongNote };
  const chosen = order.map((o) => done.get(o.id)).filter((r): r is JournalRecord => Boolean(r));
  // What the journal holds decides: an entry written as the stop came counts, though the loop never saw its outcome.
  if (run.stopped && !chosen.length) endRun(run, { ...end, kept: 0 }, ctx.maxTime, false);
  const partial = partialOf(run, ctx.maxTime);
  const written = writeWitnessOutputs(dir, chosen, {
    ...opts,
    config: ctx.config,
    tools: setup.tools,
    validShare: ctx.config.witness.valid_share,
    ...(partial ? { partial } : {}),
  });
  const seconds = (performance.now() - started) / 1000;
  const own = process.cpuUsage(cpu0);
  const summary: WitnessGenSummary = {
    kept: written.kept,
    rejected: written.rejected,
    reasons: run.reasons,
    seconds,
    toolCpuSeconds: toolCpu,
    sekftCpuSeconds: (own.user + own.system) / 1e6,
  };
  const why = Object.entries(run.reasons)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  ctx.log.log(
    `witness: kept ${written.kept} (train ${written.train}, valid ${written.valid}), rejected ${written.rejected}${why ? ` (${why})` : ""}, ` +
      `${(written.kept / Math.max(seconds, 0.001)).toFixed(2)} examples/s, cpu tools ${toolCpu.toFixed(1)}s sekft ${summary.sekftCpuSeconds.toFixed(1)}s → ${dir}` +
      `${partial ? ` (partial: ${partial.reason})` : ""}`,
  );
  endRun(run, { ...end, kept: written.kept }, ctx.maxTime, true);
  return summary;
}
