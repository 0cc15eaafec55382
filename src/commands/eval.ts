import { defineCommand } from "citty";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { UsageError, WorkFailedError } from "../errors.ts";
import { configArgs, createContext, maxTimeArgs } from "./_context.ts";
import { outputDir } from "./_dir.ts";
import { intFlag, maxTimeFlag } from "./_flags.ts";
import { modelArgs, modelOverrides } from "./_model.ts";

const args = {
  target: {
    type: "positional",
    required: false,
    description: "A chat JSONL file, a `gen` output directory (its valid split), or shell bundles; with --compare: report B",
  },
  ...configArgs,
  ...maxTimeArgs,
  ...modelArgs,
  samples: { type: "string", description: "Answers per question K: pass@1 and pass@K (default: eval.samples)" },
  temperature: { type: "string", description: "Sampling temperature of witness answers (default: eval.temperature)" },
  "max-tokens": { type: "string", description: "max_tokens of each witness answer (default: eval.max_tokens)" },
  out: { type: "string", description: "Output directory: eval.json, answers, kept answers (default: run.out/eval)" },
  workers: { type: "string", description: "Answers (or samples) in flight at most (default: run.workers, 0 = CPU count)" },
  seed: { type: "string", description: "Seed of the bootstrap intervals (default: run.seed)" },
  sandbox: { type: "boolean", description: "Run each witness answer in a locked-down container (the default)" },
  host: { type: "boolean", description: "Run witness answers on this machine (isolated: scrubbed env, own session, namespaces when allowed)" },
  json: { type: "boolean", description: "Print the report (or the comparison) as JSON on stdout" },
  compare: { type: "string", description: "Report A (an eval.json): print it beside report B, the positional argument" },
} as const;

export default defineCommand({
  meta: { name: "eval", description: "Score a model on held-out data by the same proof as the data: pass@1/pass@k, causes, intervals; --compare two reports" },
  args,
  async run({ args: a }) {
    const target = a.target as string | undefined;
    if (a.compare !== undefined) {
      if (!target) throw new UsageError("--compare A.json needs report B as the positional argument: sekft eval --compare A.json B.json");
      const { compareReports, formatComparison, readReport } = await import("../eval/compare.ts");
      const [ra, rb] = [readReport(a.compare), readReport(target)];
      const rows = compareReports(ra, rb);
      if (a.json) process.stdout.write(`${JSON.stringify({ a: a.compare, b: target, metrics: rows })}\n`);
      else process.stdout.write(`${formatComparison(ra, rb, rows)}\n`);
      return;
    }
    if (!target) throw new UsageError("eval needs a dataset, a gen output directory or a bundle directory (or --compare A.json B.json)");
    if (a.sandbox && a.host) throw new UsageError("--sandbox and --host exclude each other");
    const maxTime = maxTimeFlag(a["max-time"]);
    const evalTable: Record<string, unknown> = { ...(modelOverrides(a, ["eval"]).eval as Record<string, unknown> | undefined) };
    const samples = intFlag("samples", a.samples, 1);
    if (samples !== undefined) evalTable.samples = samples;
    const maxTokens = intFlag("max-tokens", a["max-tokens"], 1);
    if (maxTokens !== undefined) evalTable.max_tokens = maxTokens;
    if (a.temperature !== undefined) {
      const t = Number(a.temperature);
      if (a.temperature === "" || !Number.isFinite(t)) throw new UsageError(`--temperature must be a number, got ${JSON.stringify(a.temperature)}`);
      evalTable.temperature = t;
    }
    const run: Record<string, unknown> = {};
    const workers = intFlag("workers", a.workers);
    if (workers !== undefined) run.workers = workers;
    const seed = intFlag("seed", a.seed);
    if (seed !== undefined) run.seed = seed;
    const ctx = await createContext(a, { eval: evalTable, run }, maxTime);
    const out = outputDir(a.out ?? join(ctx.config.run.out, "eval"));
    const { resolveEvalTarget } = await import("../eval/target.ts");
    const resolved = resolveEvalTarget(target);
    // Kept answers must never land beside the split they answer, where a later run could take them for part of it.
    if (resolved.track === "witness" && resolve(out) === resolve(dirname(resolved.file)))
      throw new UsageError(`--out ${out} is the dataset's own directory`, "Give the eval its own output directory.");
    // A dead endpoint or an unknown model fails here, naming the URL, before any answer is asked for.
    const { checkEndpoint } = await import("../llm/preflight.ts");
    await checkEndpoint(ctx, ctx.config.eval, "model under test");
    const common = { out, endpoint: ctx.config.eval, workers: ctx.config.run.workers || availableParallelism(), seed: ctx.config.run.seed };
    const report =
      resolved.track === "witness"
        ? await (await import("../eval/witness.ts")).evalWitness(ctx, { ...common, file: resolved.file, mode: a.host ? "host" : "sandbox" })
        : await (await import("../eval/shell.ts")).evalShell(ctx, { ...common, bundles: resolved.dir });
    const { formatReport } = await import("../eval/report.ts");
    ctx.log.log(formatReport(report));
    ctx.log.log(`report → ${join(out, "eval.json")}`);
    if (a.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    // A stopped eval has reported what it scored; it still ends as stopped (75 for --max-time, the signal's code).
    if (report.partial) {
      const { stopError } = await import("../run/loop.ts");
      throw stopError(report.partial.reason, `the report covers the ${report.scored} scored so far`, ctx.maxTime, `${report.scored} scored`);
    }
    if (report.infra_errors > 0)
      throw new WorkFailedError(
        `${report.infra_errors} answer(s) hit endpoint errors and were not scored`,
        "The figures cover the scored answers only; fix the endpoint and run again.",
      );
  },
});
