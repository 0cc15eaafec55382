import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { EvalConfig } from "../config/eval-schema.ts";
import type { RunContext } from "../context.ts";
import { writeFileAtomic, writeJsonlAtomic } from "../dataset/jsonl.ts";
import { DependencyError, InputError } from "../errors.ts";
import { ChatClient, endpointName } from "../llm/chat.ts";
import { TokenLedger } from "../llm/ledger.ts";
import { type LoopResult, partialOf, runLoop, stopError } from "../run/loop.ts";
import { KEPT, NO_VERDICT, type Outcome, rejected } from "../run/outcome.ts";
import { printable } from "../ui/format.ts";
import { witnessFlags } from "../witness/diagnose.ts";
import { locateWitness, WITNESS_HINT, WITNESS_VERSION } from "../witness/locate.ts";
import { judgeAnswer, openRunner } from "../witness/verify.ts";
import { type AnswerRecord, perQuestion } from "./answers.ts";
import { type GroupScore, scoreGroup, wilson } from "./metrics.ts";
import { type Question, readQuestions, splitOfFile } from "./questions.ts";
import { EVAL_SFT_FILES, writeRejectionSamples } from "./rejection.ts";
import { INTERVALS, type WitnessEvalReport } from "./report.ts";

export interface WitnessEvalOptions {
  /** The chat JSONL whose questions are asked. */
  file: string;
  out: string;
  endpoint: EvalConfig;
  workers: number;
  /** Where answers run: sandbox unless `host`. */
  mode: "sandbox" | "host";
  seed: number;
}

/** Groups questions by a key (a question may sit in several groups: one per attestor) and scores each group. */
function groupBy(questions: Question[], counts: Map<number, { n: number; c: number }>, keys: (q: Question) => string[], k: number, seed: number) {
  const groups = new Map<string, { n: number; c: number }[]>();
  for (const q of questions) for (const key of keys(q)) groups.set(key, [...(groups.get(key) ?? []), counts.get(q.line) ?? { n: 0, c: 0 }]);
  const out: Record<string, GroupScore> = {};
  for (const key of [...groups.keys()].sort()) out[key] = scoreGroup(groups.get(key)!, k, `${seed}:${key}`);
  return out;
}

/**
 * `sekft eval` on witness questions: each question asked `samples` times of the model, each answer run by
 * verify's runner and judged by verify's classification; pass@1/pass@k overall, per family, per attestor, per
 * cause; passing answers kept as SFT lines of the split they were asked from.
 */
export async function evalWitness(ctx: RunContext, opts: WitnessEvalOptions): Promise<WitnessEvalReport> {
  const started = performance.now();
  const witness = locateWitness(ctx.env, ctx.config.witness.witness_bin);
  if (!witness) throw new DependencyError(`witness ${WITNESS_VERSION} not found`, WITNESS_HINT);
  const questions = await readQuestions(opts.file);
  if (!questions.length) throw new InputError(`${opts.file}: no question to ask (no line with a user message)`);
  const { endpoint } = opts;
  const k = endpoint.samples;
  const split = splitOfFile(opts.file);
  const ledger = new TokenLedger();
  const chat = ChatClient.create(endpoint, ctx.env, { ledger });
  mkdirSync(opts.out, { recursive: true });
  ctx.log.info(
    `${opts.file}: ${questions.length} question(s) × ${k} answer(s) from ${endpoint.model} at ${endpointName(endpoint.base_url)}, each run ${opts.mode === "sandbox" ? "in a sandbox container" : "on the host, isolated"}`,
  );
  const flags = await witnessFlags(witness);
  const exec = await openRunner(ctx, opts.mode === "sandbox", witness);
  const now = new Date();
  const records: AnswerRecord[] = [];
  const jobs = questions.flatMap((q) => Array.from({ length: k }, (_, sample) => ({ q, sample })));
  let run: LoopResult;
  try {
    run = await runLoop(
      ctx,
      jobs,
      async ({ q, sample }, ic): Promise<Outcome> => {
        const t0 = performance.now();
        const reply = await chat.send({
          messages: q.prompt,
          maxTokens: endpoint.max_tokens,
          temperature: endpoint.temperature,
          label: `${q.line}#${sample}`,
          signal: ic.signal,
        });
        const model_seconds = Math.round(performance.now() - t0) / 1000;
        // An answer cut short by the stop is no answer: it is left out, not scored.
        if (ic.signal.aborted) return NO_VERDICT;
        if (!reply.ok) {
          records.push({ line: q.line, sample, ok: null, cause: "infra-error", reason: reply.reason, usage: reply.usage, model_seconds, run_seconds: 0 });
          ctx.log.warn(`line ${q.line} sample ${sample}: ${printable(reply.reason)}`);
          return NO_VERDICT;
        }
        // A reply holding the API key is never run or written; it fails as the model's own doing.
        const answer = chat.leaks(reply.content) ? "" : reply.content;
        const judged = await judgeAnswer({ ...ctx, signal: ic.signal }, exec, answer, { now, flags });
        if (ic.signal.aborted) return NO_VERDICT;
        const { seconds, ...verdict } = judged;
        const cause = answer !== reply.content ? { cause: "leak", reason: "leak: the reply contains the API key" } : {};
        records.push({
          line: q.line,
          sample,
          ...verdict,
          ...cause,
          finish_reason: reply.finishReason,
          usage: reply.usage,
          model_seconds,
          run_seconds: seconds,
          answer,
        });
        return judged.ok ? KEPT : rejected(("cause" in cause ? cause.cause : judged.cause) ?? "failed");
      },
      { label: "eval", words: ["passed", "failed"], total: jobs.length, counts: "all", workers: opts.workers },
    );
  } finally {
    await exec.dispose();
  }
  // A stopped eval reports the answers it has, marked partial; with none, there is nothing to report.
  if (run.stopped && !records.length) throw stopError(run.stopped, "no answer was scored yet", ctx.maxTime, `0 of ${jobs.length}`);
  const partial = partialOf(run, ctx.maxTime);
  records.sort((a, b) => a.line - b.line || a.sample - b.sample);
  writeJsonlAtomic(join(opts.out, "answers.jsonl"), records);
  const provenance = {
    model: endpoint.model,
    endpoint: endpointName(endpoint.base_url),
    dataset: opts.file,
    split,
    runner: opts.mode,
    witness_version: WITNESS_VERSION,
  } as const;
  const sft = writeRejectionSamples(opts.out, questions, records, provenance);

  const counts = perQuestion(records);
  const scored = records.filter((r) => r.ok !== null);
  const failed = scored.filter((r) => !r.ok);
  const causes = new Map<string, number>();
  for (const r of failed) causes.set(r.cause ?? "unknown", (causes.get(r.cause ?? "unknown") ?? 0) + 1);
  const tokens = ledger.totals();
  const mean = (xs: number[]) => (xs.length ? Math.round((xs.reduce((s, x) => s + x, 0) / xs.length) * 1000) / 1000 : 0);
  const report: WitnessEvalReport = {
    type: "sekft-eval",
    version: 1,
    track: "witness",
    model: endpoint.model,
    endpoint: provenance.endpoint,
    dataset: opts.file,
    split,
    samples: k,
    temperature: endpoint.temperature,
    max_tokens: endpoint.max_tokens,
    runner: opts.mode,
    witness_version: WITNESS_VERSION,
    created: now.toISOString(),
    intervals: INTERVALS,
    questions: questions.length,
    answers: records.length,
    scored: scored.length,
    infra_errors: records.length - scored.length,
    overall: scoreGroup([...counts.values()], k, opts.seed),
    by_family: groupBy(questions, counts, (q) => [q.family], k, opts.seed),
    by_attestor: groupBy(questions, counts, (q) => q.attestors, k, opts.seed),
    by_cause: Object.fromEntries(
      [...causes.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([cause, count]) => [cause, { count, share: count / scored.length, ci: wilson(count, scored.length) }]),
    ),
    tokens: {
      prompt: tokens.prompt_tokens,
      completion: tokens.completion_tokens,
      requests: tokens.requests,
      per_answer: { prompt: mean(records.map((r) => r.usage.prompt_tokens)), completion: mean(records.map((r) => r.usage.completion_tokens)) },
    },
    seconds: {
      model_per_answer: mean(records.map((r) => r.model_seconds)),
      run_per_answer: mean(scored.map((r) => r.run_seconds)),
      wall: Math.round(performance.now() - started) / 1000,
    },
    outputs: { answers: "answers.jsonl", sft: sft.file, sft_lines: sft.lines, sft_meta: EVAL_SFT_FILES.meta },
    ...(partial ? { partial } : {}),
  };
  writeFileAtomic(join(opts.out, "eval.json"), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}
