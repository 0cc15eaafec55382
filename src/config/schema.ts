import { z } from "zod";
import { WitnessSchema } from "./witness-schema.ts";
import { ShellSchema } from "./shell-schema.ts";
import { RolloutSchema } from "./rollout-schema.ts";
import { TraceSchema } from "./trace-schema.ts";
import { K8sSchema } from "./k8s-schema.ts";
import { EvalSchema } from "./eval-schema.ts";

export const RunSchema = z.strictObject({
  out: z
    .string()
    .min(1)
    .refine((s) => !s.includes("\0"), "must not contain a NUL byte")
    .describe("output directory"),
  workers: z.number().int().min(0).max(256).describe("concurrent jobs; 0 = CPU count"),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe("sampler seed"),
  give_up_after: z.number().int().min(0).max(1_000_000).describe("consecutive rejects that end a gen run; 0 = never"),
  give_up_share: z.number().min(0).max(1).describe("share of rejects that ends a gen run (once give_up_after items are decided); 1 = never"),
});

/** The whole config file. Strict everywhere: an unknown key is an error that names it. Defaults: config.toml. */
export const ConfigSchema = z.strictObject({
  run: RunSchema,
  witness: WitnessSchema,
  shell: ShellSchema,
  trace: TraceSchema,
  rollout: RolloutSchema,
  k8s: K8sSchema,
  eval: EvalSchema,
});

export type Config = z.infer<typeof ConfigSchema>;
export type RunConfig = z.infer<typeof RunSchema>;
