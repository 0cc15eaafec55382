import { z } from "zod";

const DAY_S = 86_400;

/** `[rollout]`: how operators are sampled and what a sample may cost. Values live in config.toml. */
export const RolloutSchema = z.strictObject({
  samples: z.number().int().min(1).max(1_000),
  max_turns: z.number().int().min(1).max(1_000),
  stuck_repeats: z.number().int().min(2).max(1_000),
  max_tokens_per_sample: z.number().int().min(1).max(100_000_000),
  sample_timeout_s: z.number().min(1).max(DAY_S, "at most 86400 (a day)"),
  reply_max_tokens: z.number().int().min(1).max(1_000_000),
  max_command_bytes: z.number().int().min(16).max(1_048_576, "at most 1 MiB"),
  max_observation_bytes: z.number().int().min(64).max(1_048_576, "at most 1 MiB"),
  max_pairs_per_bundle: z.number().int().min(0).max(1_000),
  valid_share: z.number().min(0).max(0.5),
  tool_arguments: z.enum(["string", "object"]),
  prompt: z.string().max(64),
  scaffold_version: z.string().min(1).max(64),
  scaffold: z.string().min(1).max(65_536),
});

export type RolloutConfig = z.infer<typeof RolloutSchema>;
