import { z } from "zod";
import { ModelEndpointSchema } from "./shell-schema.ts";

/** `[eval]`: the model `sekft eval` asks, and how. The endpoint fields are the operator's; values live in config.toml. */
export const EvalSchema = z.strictObject({
  ...ModelEndpointSchema.shape,
  samples: z.number().int().min(1).max(1_000),
  temperature: z.number().min(0).max(2),
  max_tokens: z.number().int().min(1).max(1_000_000),
});

export type EvalConfig = z.infer<typeof EvalSchema>;
