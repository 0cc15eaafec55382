import { defineCommand } from "citty";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { configArgs, createContext, maxTimeArgs } from "./_context.ts";
import { outputDir } from "./_dir.ts";
import { intFlag, maxTimeFlag } from "./_flags.ts";
import { hasModelFlags, modelArgs, modelOverrides } from "./_model.ts";

const args = {
  bundles: { type: "positional", required: true, description: "A bundle directory (the --out of `sekft gen --track shell`, or its shell/bundles)" },
  ...configArgs,
  ...maxTimeArgs,
  out: { type: "string", description: "Output directory; trajectories go to OUT/rollout (default: run.out)" },
  operator: { type: "string", description: "model | reference | perturb", default: "reference" },
  ...modelArgs,
  samples: { type: "string", description: "Samples per bundle (default: rollout.samples; reference: always 1)" },
  workers: { type: "string", description: "Concurrent samples (default: run.workers, 0 = CPU count)" },
  format: { type: "string", description: "Training lines as chat messages or as tool calls: chat | tools", default: "chat" },
  seed: { type: "string", description: "Recorded in the manifest (default: run.seed)" },
  "sign-key": { type: "string", description: "Private key (PEM): sign the manifest (DSSE over an in-toto statement of every file)" },
  force: { type: "boolean", description: "Start over: remove OUT/rollout first (a rerun otherwise resumes, and refuses another run's directory)" },
} as const;

export default defineCommand({
  meta: { name: "rollout", description: "Run operators on scenario bundles in the sandbox: trajectories, SFT keepers, DPO pairs, KTO lines" },
  args,
  async run({ args: a }) {
    const operator = a.operator;
    if (operator !== "model" && operator !== "reference" && operator !== "perturb")
      throw new UsageError(`--operator must be model, reference or perturb; got "${operator}"`);
    if (a.format !== "chat" && a.format !== "tools") throw new UsageError(`--format must be chat or tools; got "${a.format}"`);
    if (operator !== "model" && hasModelFlags(a)) throw new UsageError("--base-url, --model and --api-key-env set the model of --operator model");
    const maxTime = maxTimeFlag(a["max-time"]);
    const overrides: Record<string, unknown> = modelOverrides(a, ["shell", "operator"]);
    const samples = intFlag("samples", a.samples, 1);
    if (samples !== undefined) overrides.rollout = { samples };
    const run: Record<string, unknown> = {};
    if (a.out !== undefined) run.out = a.out;
    const workers = intFlag("workers", a.workers);
    if (workers !== undefined) run.workers = workers;
    const seed = intFlag("seed", a.seed);
    if (seed !== undefined) run.seed = seed;
    if (Object.keys(run).length) overrides.run = run;
    const ctx = await createContext(a, overrides, maxTime);
    outputDir(ctx.config.run.out);
    // Load the key before the work, so a wrong path fails now.
    const signKey = a["sign-key"] ? (await import("../dataset/keyid.ts")).loadPrivateKey(a["sign-key"]) : undefined;
    const { rollout } = await import("../rollout/rollout.ts");
    await rollout(ctx, {
      bundles: a.bundles as string,
      out: ctx.config.run.out,
      operator,
      samples: ctx.config.rollout.samples,
      workers: ctx.config.run.workers || availableParallelism(),
      format: a.format,
      seed: ctx.config.run.seed,
      force: Boolean(a.force),
    });
    if (signKey) {
      const dir = join(ctx.config.run.out, "rollout");
      const signed = (await import("../dataset/sign.ts")).signDataset(dir, signKey);
      ctx.log.log(`signed ${dir} (root sha256:${signed.root}) with key ID ${signed.keyid}`);
    }
  },
});
