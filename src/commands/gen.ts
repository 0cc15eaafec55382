import { defineCommand } from "citty";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { resolveShard } from "../scale/shard.ts";
import { GEN_TRACKS, loadTrack } from "../tracks.ts";
import { configArgs, createContext, maxTimeArgs } from "./_context.ts";
import { outputDir } from "./_dir.ts";
import { intFlag, maxTimeFlag } from "./_flags.ts";
import { hasModelFlags, modelArgs, modelOverrides } from "./_model.ts";
import { mergeTables } from "../config/load.ts";

const args = {
  ...configArgs,
  ...maxTimeArgs,
  track: { type: "string", description: GEN_TRACKS.join(" | "), default: "witness" },
  count: { type: "string", description: "Examples (witness) or bundles (shell) to keep" },
  out: { type: "string", description: "Output directory (default: run.out)" },
  workers: { type: "string", description: "Concurrent jobs (default: run.workers, 0 = CPU count)" },
  seed: { type: "string", description: "Sampler seed (default: run.seed)" },
  author: { type: "string", description: "Who authors items, for tracks with a choice (shell: builtin | model)" },
  ...modelArgs,
  shard: { type: "string", description: "I/N: make only every N-th item starting at I (0-based); auto: I from $JOB_COMPLETION_INDEX or $SLURM_ARRAY_TASK_ID" },
  shards: { type: "string", description: "N, with --shard auto" },
  "sign-key": { type: "string", description: "Private key (PEM): sign the manifest (DSSE over an in-toto statement of every file)" },
  force: {
    type: "boolean",
    description: "Start over: remove the track's previous outputs and journal in --out (a rerun otherwise resumes, and refuses another run's directory)",
  },
} as const;

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
    const shard = resolveShard(a.shard, a.shards, process.env);
    const maxTime = maxTimeFlag(a["max-time"]);
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
    if (hasModelFlags(a) && !(track.name === "shell" && a.author === "model"))
      throw new UsageError("--base-url, --model and --api-key-env set the teacher of `--track shell --author model`");
    const ctx = await createContext(a, mergeTables(overrides, modelOverrides(a, ["shell", "teacher"])), maxTime);
    outputDir(ctx.config.run.out);
    // Load the key before hours of work, so a wrong path fails now.
    const signKey = a["sign-key"] ? (await import("../dataset/keyid.ts")).loadPrivateKey(a["sign-key"]) : undefined;
    const count = (ctx.config as unknown as Record<string, { count: number }>)[track.countKey]!.count;
    await track.gen!(ctx, {
      count,
      out: ctx.config.run.out,
      workers: ctx.config.run.workers || availableParallelism(),
      seed: ctx.config.run.seed,
      shard,
      author: a.author ?? track.authors[0] ?? "",
      force: Boolean(a.force),
    });
    if (signKey) {
      const dir = join(ctx.config.run.out, track.name);
      const signed = (await import("../dataset/sign.ts")).signDataset(dir, signKey);
      ctx.log.log(`signed ${dir} (root sha256:${signed.root}) with key ID ${signed.keyid}`);
    }
  },
});
