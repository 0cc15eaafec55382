import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { EvalConfig } from "../config/eval-schema.ts";
import type { Config } from "../config/schema.ts";
import type { RunContext } from "../context.ts";
import { readJsonl, writeFileAtomic } from "../dataset/jsonl.ts";
import type { PartialSet } from "../dataset/manifest.ts";
import { InterruptedError, MaxTimeError, WorkFailedError } from "../errors.ts";
import { endpointName } from "../llm/chat.ts";
import { ROLLOUT_FILES, type Trajectory } from "../rollout/record.ts";
import { latestByKey, loadBundles, rollout } from "../rollout/rollout.ts";
import { scoreGroup, wilson } from "./metrics.ts";
import { INTERVALS, type ShellEvalReport, type SuccessRate } from "./report.ts";

export interface ShellEvalOptions {
  bundles: string;
  out: string;
  endpoint: EvalConfig;
  workers: number;
  seed: number;
}

/** The config rollout reads, with the model under test as its operator and `samples` samples per bundle. */
function operatorConfig(config: Config, e: EvalConfig): Config {
  const operator = {
    base_url: e.base_url,
    model: e.model,
    api_key_env: e.api_key_env,
    concurrency: e.concurrency,
    timeout_s: e.timeout_s,
    max_attempts: e.max_attempts,
  };
  return { ...config, shell: { ...config.shell, operator }, rollout: { ...config.rollout, samples: e.samples } };
}

function rateOf(samples: Trajectory[]): SuccessRate {
  const success = samples.filter((t) => t.outcome === "success").length;
  return { samples: samples.length, success, rate: samples.length ? success / samples.length : 0, ci: wilson(success, samples.length) };
}

function groupRates(samples: Trajectory[], key: (t: Trajectory) => string | undefined): Record<string, SuccessRate> {
  const groups = new Map<string, Trajectory[]>();
  for (const t of samples) {
    const k = key(t) ?? "unknown";
    groups.set(k, [...(groups.get(k) ?? []), t]);
  }
  return Object.fromEntries([...groups.keys()].sort().map((k) => [k, rateOf(groups.get(k)!)]));
}

/**
 * `sekft eval BUNDLE_DIR`: the rollout machinery with the model under test as operator (its outputs under
 * OUT/rollout), then success rates per taxonomy axis and per expected terminal, and the wrong-terminal share.
 * Infra errors are not scored; the report counts them (the caller fails the run on them after showing it).
 */
export async function evalShell(ctx: RunContext, opts: ShellEvalOptions): Promise<ShellEvalReport> {
  const started = performance.now();
  const { endpoint } = opts;
  const bundles = loadBundles(opts.bundles, ctx.config.shell.limits);
  mkdirSync(opts.out, { recursive: true });
  let infra: WorkFailedError | undefined;
  let stopped: MaxTimeError | InterruptedError | undefined;
  let partial: PartialSet | undefined;
  try {
    await rollout(
      { ...ctx, config: operatorConfig(ctx.config, endpoint) },
      {
        bundles: opts.bundles,
        out: opts.out,
        operator: "model",
        samples: endpoint.samples,
        workers: opts.workers,
        format: "chat",
        seed: opts.seed,
        force: false,
      },
    );
  } catch (error) {
    // A rollout stopped by --max-time or a signal wrote what it decided: the report covers it, marked partial.
    if (error instanceof MaxTimeError || (error instanceof InterruptedError && ctx.signal.aborted)) {
      stopped = error;
      partial = error instanceof MaxTimeError ? { reason: "max-time", ...(ctx.maxTime ? { max_time: ctx.maxTime.text } : {}) } : { reason: "interrupted" };
    }
    // Samples the endpoint failed are not scored; the rest are, and the run still ends as failed.
    else if (!(error instanceof WorkFailedError)) throw error;
    else infra = error;
  }
  if (stopped && !existsSync(join(opts.out, "rollout", "manifest.json"))) throw stopped;
  const file = join(opts.out, "rollout", ROLLOUT_FILES.trajectories);
  const all = existsSync(file) ? readJsonl<Trajectory>(file).map((r) => r.value) : [];
  const ids = new Set(bundles.map((b) => b.bundle.id));
  const mine = [...latestByKey(all.filter((t) => t.operator === "model" && t.model === endpoint.model && ids.has(t.bundle_id))).values()];
  const scored = mine.filter((t) => t.outcome !== "infra-error");
  const terminal = new Map(bundles.map((b) => [b.bundle.id, b.bundle.terminal]));
  const axes: Record<string, Record<string, SuccessRate>> = {};
  for (const axis of ["task", "provider", "announcement", "doc_depth", "difficulty"]) axes[axis] = groupRates(scored, (t) => t.cell[axis]);
  const outcomes: Record<string, number> = {};
  for (const t of mine) outcomes[t.outcome] = (outcomes[t.outcome] ?? 0) + 1;
  const perBundle = new Map<string, { n: number; c: number }>();
  for (const t of scored) {
    const q = perBundle.get(t.bundle_id) ?? { n: 0, c: 0 };
    q.n += 1;
    if (t.outcome === "success") q.c += 1;
    perBundle.set(t.bundle_id, q);
  }
  const wrong = scored.filter((t) => t.outcome === "wrong-terminal").length;
  const mean = (xs: number[]) => (xs.length ? Math.round((xs.reduce((s, x) => s + x, 0) / xs.length) * 1000) / 1000 : 0);
  const report: ShellEvalReport = {
    type: "sekft-eval",
    version: 1,
    track: "shell",
    model: endpoint.model,
    endpoint: endpointName(endpoint.base_url),
    bundles_dir: opts.bundles,
    samples: endpoint.samples,
    created: new Date().toISOString(),
    intervals: INTERVALS,
    bundles: bundles.length,
    samples_run: mine.length,
    scored: scored.length,
    infra_errors: mine.length - scored.length,
    outcomes,
    overall: scoreGroup([...perBundle.values()], endpoint.samples, opts.seed),
    by_axis: axes,
    by_terminal: groupRates(scored, (t) => terminal.get(t.bundle_id)),
    wrong_terminal: { count: wrong, share: scored.length ? wrong / scored.length : 0, ci: wilson(wrong, scored.length) },
    tokens: {
      prompt: mine.reduce((s, t) => s + t.usage.prompt_tokens, 0),
      completion: mine.reduce((s, t) => s + t.usage.completion_tokens, 0),
      per_sample: { prompt: mean(mine.map((t) => t.usage.prompt_tokens)), completion: mean(mine.map((t) => t.usage.completion_tokens)) },
    },
    seconds: { per_sample: mean(scored.map((t) => t.timings.total_ms / 1000)), wall: Math.round(performance.now() - started) / 1000 },
    outputs: { rollout: "rollout" },
    ...(partial ? { partial } : {}),
  };
  writeFileAtomic(join(opts.out, "eval.json"), `${JSON.stringify(report, null, 2)}\n`);
  // The caller fails the run on report.infra_errors; a failure rollout saw that the report does not show is raised here.
  if (infra && report.infra_errors === 0) throw infra;
  return report;
}
