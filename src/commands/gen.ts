import { defineCommand } from "citty";
import { availableParallelism } from "node:os";
import { UsageError } from "../errors.ts";
import { configArgs, createContext } from "./_context.ts";
import { intFlag } from "./_flags.ts";

const args = {
  ...configArgs,
  track: { type: "string", description: "witness | shell", default: "witness" },
  count: { type: "string", description: "Examples (witness) or bundles (shell) to keep" },
  out: { type: "string", description: "Output directory (default: run.out)" },
  workers: { type: "string", description: "Concurrent jobs (default: run.workers, 0 = CPU count)" },
  seed: { type: "string", description: "Sampler seed (default: run.seed)" },
  author: { type: "string", description: "Shell bundles: builtin | model", default: "builtin" },
  shard: { type: "string", description: "I/N: make only every N-th item starting at I (0-based, e.g. $JOB_COMPLETION_INDEX/4)" },
} as const;

/** Parses `--shard I/N` (0 ≤ I < N). */
function parseShard(value: string | undefined): { index: number; total: number } {
  if (value === undefined) return { index: 0, total: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const index = Number(m?.[1]);
  const total = Number(m?.[2]);
  if (!m || total < 1 || index >= total) throw new UsageError(`--shard must be I/N with 0 ≤ I < N, got "${value}"`);
  return { index, total };
}

export default defineCommand({
  meta: { name: "gen", description: "Generate execution-verified examples (witness) or gated scenario bundles (shell)" },
  args,
  async run({ args: a }) {
    const track = a.track;
    if (track !== "witness" && track !== "shell") throw new UsageError(`--track must be witness or shell, got "${track}"`);
    if (a.author !== "builtin" && a.author !== "model") throw new UsageError(`--author must be builtin or model, got "${a.author}"`);
    const overrides: Record<string, unknown> = {};
    const run: Record<string, unknown> = {};
    if (a.out !== undefined) run.out = a.out;
    if (intFlag("workers", a.workers) !== undefined) run.workers = intFlag("workers", a.workers);
    if (intFlag("seed", a.seed) !== undefined) run.seed = intFlag("seed", a.seed);
    if (Object.keys(run).length) overrides.run = run;
    const count = intFlag("count", a.count, 1);
    if (count !== undefined) overrides[track] = { count };
    const ctx = await createContext(a, overrides);
    const workers = ctx.config.run.workers || availableParallelism();
    const opts = { out: ctx.config.run.out, workers, seed: ctx.config.run.seed, shard: parseShard(a.shard) };
    if (track === "witness") {
      const { genWitness } = await import("../witness/gen.ts");
      await genWitness(ctx, { ...opts, count: ctx.config.witness.count });
    } else {
      const { genShell } = await import("../shell/gen.ts");
      await genShell(ctx, { ...opts, count: ctx.config.shell.count, author: a.author });
    }
  },
});
