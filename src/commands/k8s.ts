import { defineCommand } from "citty";
import { UsageError } from "../errors.ts";
import { loadTrack, TRACKS } from "../tracks.ts";
import { configArgs, createContext } from "./_context.ts";
import { intFlag } from "./_flags.ts";

const job = defineCommand({
  meta: {
    name: "job",
    description: "Print a ConfigMap of the effective config, an Indexed Job (one pod per shard) and a suspended merge Job, as JSON for `kubectl apply -f -`",
  },
  args: {
    ...configArgs,
    shards: { type: "string", description: "Shards: the Job's completions and parallelism", required: true },
    count: { type: "string", description: "Items each shard keeps (the merged dataset holds shards × count)", required: true },
    image: { type: "string", description: "Container image holding sekft, witness and the commands the config runs", required: true },
    pvc: { type: "string", description: "PersistentVolumeClaim shared by the pods (default: k8s.pvc)" },
    track: { type: "string", description: `${Object.keys(TRACKS).join(" | ")}`, default: "witness" },
    seed: { type: "string", description: "Sampler seed (default: run.seed)" },
  },
  async run({ args: a }) {
    const shards = intFlag("shards", a.shards, 1);
    const count = intFlag("count", a.count, 1);
    if (shards === undefined || count === undefined || !a.image) throw new UsageError("k8s job needs --shards N --count C --image IMG");
    await loadTrack(a.track);
    const seed = intFlag("seed", a.seed);
    const ctx = await createContext(a, seed === undefined ? {} : { run: { seed } });
    const { k8sJobs } = await import("../scale/k8s.ts");
    const { printConfig } = await import("../config/load.ts");
    const { configDigest } = await import("../dataset/manifest.ts");
    const list = k8sJobs(ctx.config.k8s, {
      shards,
      count,
      image: a.image,
      track: a.track,
      seed: ctx.config.run.seed,
      pvc: a.pvc ?? ctx.config.k8s.pvc,
      configToml: printConfig(ctx.config),
      configSha256: configDigest(ctx.config),
    });
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
  },
});

export default defineCommand({
  meta: { name: "k8s", description: "Kubernetes manifests for a sharded run" },
  subCommands: { job },
});
