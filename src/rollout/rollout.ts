import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { RunContext } from "../context.ts";
import { canonical, sha256 } from "../dataset/hash.ts";
import { configDigest } from "../dataset/manifest.ts";
import { RunJournal, type RunIdentity, startOver } from "../dataset/run-journal.ts";
import { InputError, UsageError, WorkFailedError } from "../errors.ts";
import { isWithin } from "../files.ts";
import { endpointName } from "../llm/chat.ts";
import { createLimiter } from "../llm/limiter.ts";
import { modelSpend, TokenLedger } from "../llm/ledger.ts";
import { checkEndpoint } from "../llm/preflight.ts";
import { endRun, partialOf, runLoop } from "../run/loop.ts";
import { KEPT, type Outcome, rejected } from "../run/outcome.ts";
import { DockerEngine } from "../sandbox/docker.ts";
import type { EpisodeEnv } from "../sandbox/episode.ts";
import { openImage } from "../sandbox/image.ts";
import { type Bundle, unsafeReason } from "../shell/bundle.ts";
import { bundleFiles, readBundle } from "../shell/store.ts";
import { modelOperator, type Operator, perturbOperator, referenceOperator } from "./operators.ts";
import { type Format, writeRolloutOutputs } from "./outputs.ts";
import { PERTURBATIONS_VERSION, perturbationAttempt } from "./perturb.ts";
import type { Trajectory } from "./record.ts";
import { runSample } from "./sample.ts";
import { printable } from "../ui/format.ts";

export interface RolloutOptions {
  bundles: string;
  out: string;
  operator: "model" | "reference" | "perturb";
  samples: number;
  workers: number;
  format: Format;
  seed: number;
  /** Remove OUT/rollout first (outputs, journal, copied bundles): start over instead of resuming. */
  force: boolean;
}

/**
 * A rollout directory's identity: what every operator's samples in it share (the config without the
 * operator's own table and the sample count, the bundle set, the format, the seed), and per operator what its
 * samples depend on (the model and endpoint — never the API key —, the perturbations' version, and the sample count).
 */
export function rolloutIdentity(
  config: RunContext["config"],
  opts: Pick<RolloutOptions, "operator" | "format" | "seed">,
  samples: number,
  bundleSet: string,
): { run: RunIdentity; operator: RunIdentity } {
  const shared = { ...config, shell: { ...config.shell, operator: undefined }, rollout: { ...config.rollout, samples: undefined } };
  const model: Record<string, string> =
    opts.operator === "model" ? { model: config.shell.operator.model, endpoint: endpointName(config.shell.operator.base_url) } : {};
  return {
    run: { track: "rollout", generator: "rollout/1", config_digest: configDigest(shared), bundle_set: bundleSet, format: opts.format, seed: opts.seed },
    // The perturbations' version: a directory made with other mistakes is refused, not mixed with these.
    operator: { operator: opts.operator, ...model, ...(opts.operator === "perturb" ? { perturbations: PERTURBATIONS_VERSION } : {}), samples },
  };
}

/** Reads and checks every bundle of a directory (schema and the authoring safety rules) before any container starts. */
export function loadBundles(dir: string, limits: RunContext["config"]["shell"]["limits"]): { file: string; bundle: Bundle }[] {
  return bundleFiles(dir).map((file) => {
    const bundle = readBundle(file);
    const unsafe = unsafeReason(bundle, limits);
    if (unsafe) throw new InputError(`${file}: unsafe bundle: ${unsafe}`);
    return { file, bundle };
  });
}

/** The latest record per sample key: a later run's retry of an infra error replaces it. */
export function latestByKey(records: Trajectory[]): Map<string, Trajectory> {
  const out = new Map<string, Trajectory>();
  for (const r of records) out.set(r.key, r);
  return out;
}

/**
 * `sekft rollout`: every (bundle, sample) in a fresh sandbox, judged by the checker on the final state. Each
 * sample is journalled durably before it counts; a rerun resumes and retries only unscored (infra) samples.
 */
export async function rollout(ctx: RunContext, opts: RolloutOptions): Promise<void> {
  const started = performance.now();
  const bundles = loadBundles(opts.bundles, ctx.config.shell.limits).sort((a, b) => (a.bundle.id < b.bundle.id ? -1 : 1));
  if (!bundles.length) throw new InputError(`${opts.bundles}: no bundles`);
  // Before anything is touched: a dead endpoint or an unknown model fails now, not as a run of infra errors.
  if (opts.operator === "model") await checkEndpoint(ctx, ctx.config.shell.operator, "operator");
  const dir = join(opts.out, "rollout");
  if (opts.force) {
    if (isWithin(opts.bundles, dir)) throw new UsageError(`--force would remove ${dir}, which holds the bundles given (${opts.bundles})`);
    startOver(dir);
  }
  // The reference is one trajectory per bundle: more samples of it would only repeat it.
  const samples = opts.operator === "reference" ? 1 : opts.samples;
  const bundleSetSha256 = sha256(canonical(bundles.map((b) => b.bundle.id)));
  const identity = rolloutIdentity(ctx.config, opts, samples, bundleSetSha256);
  mkdirSync(join(dir, "bundles"), { recursive: true });
  // The journal refuses another run's directory, and another setting of an operator it holds, before anything is touched.
  using journal = new RunJournal<Trajectory>(join(dir, "journal.jsonl"), identity.run, dir);
  journal.claimPart(opts.operator, identity.operator);
  rmSync(join(dir, "manifest.json"), { force: true }); // until the end, the directory must not look finished
  for (const { file, bundle } of bundles) copyFileSync(file, join(dir, "bundles", `${bundle.id}.json`));

  const ledger = new TokenLedger();
  const operator: Operator =
    opts.operator === "model"
      ? modelOperator(ctx, { limiter: createLimiter(ctx.config.shell.operator.concurrency), ledger })
      : opts.operator === "perturb"
        ? perturbOperator
        : referenceOperator;
  if (journal.repaired) ctx.log.warn(`${journal.file}: dropped a torn last line from an interrupted run`);
  for (const line of journal.broken) ctx.log.warn(`${journal.file}:${line}: the entry does not match its digest (edited?): its sample runs again, not reused`);
  const decided = latestByKey(journal.records);
  const plan: { bundle: Bundle; sample: number }[] = [];
  let skipped = 0;
  for (const { bundle } of bundles) {
    for (let sample = 0; sample < samples; sample++) {
      if (operator.variant(bundle, sample) === null) {
        skipped++;
        continue;
      }
      const prior = decided.get(`${bundle.id}#${operator.name}#${sample}`);
      if (!prior || prior.outcome === "infra-error") plan.push({ bundle, sample });
    }
  }
  if (decided.size) ctx.log.info(`resuming: ${decided.size} samples already in ${dir}; ${plan.length} to run`);

  await using engine = await DockerEngine.connect(ctx.env);
  const reaped = await engine.reapOrphans();
  if (reaped > 0) ctx.log.info(`reaped ${reaped} container(s) left by a crashed run`);
  const image = await openImage(engine, ctx.config.shell.image, () => ctx.log.info(`building the sandbox image offline (no ${ctx.config.shell.image} yet)`));
  const env: EpisodeEnv = { engine, image, sandbox: ctx.config.shell.sandbox, signal: ctx.signal };
  let turns = 0;
  const run = await runLoop(
    ctx,
    plan,
    async ({ bundle, sample }, ic): Promise<Outcome> => {
      // A sample cut short by the stop throws InterruptedError: the loop counts it as no verdict, and the next run runs it.
      let t = await runSample({ ...env, signal: ic.signal }, bundle, operator, sample, ctx.config.rollout);
      // A perturbation that still passes is no mistake on this bundle: the sample tries the next kind no other sample
      // takes (deterministic, so a resumed run makes the same choice), and records the ones that passed.
      const passed: string[] = [];
      for (let attempt = 1; operator.name === "perturb" && t.outcome === "success"; attempt++) {
        const next = perturbationAttempt(bundle, sample, attempt, samples);
        if (!next) break;
        passed.push(t.variant);
        t = await runSample({ ...env, signal: ic.signal }, bundle, operator, sample, ctx.config.rollout, next);
      }
      if (passed.length) t = { ...t, passed_kinds: passed };
      // One that still passes after every kind did not perturb: recorded (and counted by `stats`), never a negative, never a keeper.
      const record = operator.name === "perturb" && t.outcome === "success" ? { ...t, keep: false, dropped: "the perturbation still passed" } : t;
      journal.append(record, { durable: true });
      decided.set(record.key, record);
      turns += record.turns.length;
      if (record.outcome === "infra-error") ctx.log.warn(`${record.key}: ${printable(record.reason ?? "")}`);
      return record.keep ? KEPT : rejected(record.outcome, record.dropped ?? record.reason ?? "");
    },
    { label: `rollout ${operator.name}`, words: ["kept", "not kept"], total: plan.length, counts: "all", workers: opts.workers },
  );
  // A stopped run writes what it decided (this run's and earlier runs') as a partial set; with nothing decided, nothing.
  const wrote = !run.stopped || decided.size > 0;
  if (!wrote) endRun(run, { label: "rollout", kept: 0, count: plan.length, noun: "samples", rejectsHint: "" }, ctx.maxTime, false);
  const partial = partialOf(run, ctx.maxTime);

  const all = [...decided.values()];
  const counts = writeRolloutOutputs(dir, all, {
    format: opts.format,
    validShare: ctx.config.rollout.valid_share,
    maxPairs: ctx.config.rollout.max_pairs_per_bundle,
    config: ctx.config,
    seed: opts.seed,
    bundleSetSha256,
    bundles: bundles.map((b) => b.bundle.id),
    ...(partial ? { partial } : {}),
  });
  const secs = (performance.now() - started) / 1000;
  const outcomes = Object.entries(counts.outcomes)
    .filter(([, n]) => n > 0)
    .map(([o, n]) => `${o} ${n}`)
    .join(", ");
  const passing = all.filter((t) => t.operator === "perturb" && t.outcome === "success").length;
  const tokens = ledger.totals();
  ctx.log.log(
    `rollout: ${counts.samples} samples (${outcomes || "none"}), ${plan.length} run now${skipped ? `, ${skipped} without an applicable perturbation` : ""}; ` +
      `${passing ? `${passing} perturbations still passed (not negatives), ` : ""}` +
      `sft ${counts.sft}+${counts.sft_valid} valid, dpo ${counts.dpo}, kto ${counts.kto}, kto-steps ${counts.kto_steps}; ${turns} turns in ${secs.toFixed(1)}s` +
      `${tokens.requests ? `, ${modelSpend(tokens)}` : ""} → ${dir}${partial ? ` (partial: ${partial.reason})` : ""}`,
  );
  const planned = bundles.length * samples - skipped;
  if (run.stopped) endRun(run, { label: "rollout", kept: counts.samples, count: planned, noun: "samples", rejectsHint: "" }, ctx.maxTime, true);
  const infra = counts.outcomes["infra-error"] ?? 0;
  if (infra > 0)
    throw new WorkFailedError(`${infra} samples hit infrastructure errors and were not scored`, "Run the same command again: only those samples are retried.");
}
