import { defineCommand } from "citty";
import { existsSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { InputError, WorkFailedError } from "../errors.ts";
import { configArgs, createContext } from "./_context.ts";
import { intFlag } from "./_flags.ts";

const args = {
  target: { type: "positional", required: true, description: "A chat JSONL dataset, or a shell bundle directory" },
  ...configArgs,
  workers: { type: "string", description: "Concurrent checks (default: CPU count)" },
  sample: { type: "string", description: "Check only N randomly chosen items" },
  json: { type: "boolean", description: "Print results as JSON on stdout" },
} as const;

export default defineCommand({
  meta: { name: "verify", description: "Re-run every example of a chat JSONL (or re-gate a bundle directory); exit 1 if any fails" },
  args,
  async run({ args: a }) {
    const target = a.target as string;
    if (!existsSync(target)) throw new InputError(`${target}: no such file or directory`);
    const ctx = await createContext(a);
    const workers = intFlag("workers", a.workers, 1) ?? (ctx.config.run.workers || availableParallelism());
    const sample = intFlag("sample", a.sample, 1);
    let passed: number;
    let failed: number;
    if (statSync(target).isDirectory()) {
      const { verifyBundles } = await import("../shell/verify.ts");
      ({ passed, failed } = await verifyBundles(ctx, target, { workers, sample, json: Boolean(a.json) }));
    } else {
      const { verifyDataset } = await import("../witness/verify.ts");
      ({ passed, failed } = await verifyDataset(ctx, target, { workers, sample, json: Boolean(a.json), seed: ctx.config.run.seed }));
      process.stderr.write(`${passed} passed, ${failed} failed\n`);
    }
    if (failed > 0) throw new WorkFailedError(`${failed} of ${passed + failed} failed`);
    if (passed === 0) throw new InputError(`${target}: nothing to verify`);
  },
});
