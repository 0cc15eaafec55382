import { z } from "zod";
import { WitnessSchema } from "./witness-schema.ts";
import { ShellSchema } from "./shell-schema.ts";
import { TraceSchema } from "./trace-schema.ts";

export const RunSchema = z.strictObject({
  out: z.string().min(1).default("sekft-out").describe("output directory"),
  workers: z.number().int().min(0).max(256).default(0).describe("concurrent jobs; 0 = CPU count"),
  seed: z.number().int().min(0).default(1).describe("sampler seed"),
});

/** The whole config file. Strict everywhere: an unknown key is an error that names it. */
export const ConfigSchema = z.strictObject({
  run: RunSchema.default(RunSchema.parse({})),
  witness: WitnessSchema,
  shell: ShellSchema,
  trace: TraceSchema,
});

export type Config = z.infer<typeof ConfigSchema>;
export type RunConfig = z.infer<typeof RunSchema>;
