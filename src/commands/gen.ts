import { defineCommand } from "citty";
import { availableParallelism } from "node:os";
import { UsageError } from "../errors.ts";
import { loadTrack, type Shard, TRACKS } from "../tracks.ts";
import { configArgs, createContext } from "./_context.ts";
import { intFlag } from "./_flags.ts";

const args = {
  ...configArgs,
  track: { type: "string", description: `${Object.keys(TRACKS).join(" | ")}`, default: "witness" },
  count: { type: "string", description: "Examples (witness) or bundles (shell) to keep" },
  out: { type: "string", description: "Output directory (default: run.out)" },
  workers: { type: "string", description: "Concurrent jobs (default: run.workers, 0 = CPU count)" },
  seed: { type: "string", description: "Sampler seed (default: run.seed)" },
  author: { type: "string", description: "Who authors items, for tracks with a choice (shell: builtin | model)" },
  shard: { type: "string", description: "I/N: make only every N-th item starting at I (0-based, e.g. $JOB_COMPLETION_INDEX/4)" },
} as const;

/** Parses `--shard I/N` (0 ≤ I < N). */
function parseShard(value: string | undefined): Shard {
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
    const track = await loadTrack(a.track);
    if (!track.gen) throw new UsageError(`the ${track.name} track is not made by gen`, `Use \`sekft ${track.name}\` (see --help).`);
    if (a.author !== undefined && !track.authors.includes(a.author)) {
      const allowed = track.authors.length ? `one of ${track.authors.join(", ")}` : "not an option of this track";
      throw new UsageError(`--author for the ${track.name} track is ${allowed}; got "${a.author}"`);
    }
    const shard = parseShard(a.shard);
    const overrides: Record<string, unknown> = {};
    const run: Record<string, unknown> = {};
    if (a.out !== undefined) run.out = a.out;
    const workersFlag = intFlag("workers", a.workers);
    if (workersFlag !== undefined) run.workers = workersFlag;
    const seedFlag = intFlag("seed", a.seed);
    if (seedFlag !== undefined) run.seed = seedFlag;
    if (Object.keys(run).length) overrides.run = run;
    const countFlag = intFlag("count", a.count, 1);
    if (countFlag !== undefined) overrides[track.countKey] = { count: countFlag };
    const ctx = await createContext(a, overrides);
    const count = (ctx.config as unknown as Record<string, { count: number }>)[track.countKey]!.count;
    await track.gen!(ctx, {
      count,
      out: ctx.config.run.out,
      workers: ctx.config.run.workers || availableParallelism(),
      seed: ctx.config.run.seed,
      shard,
      author: a.author ?? track.authors[0] ?? "",
    });
  },
});
