import { z } from "zod";
import { compare, isDecimalText, parseDecimal } from "../decimal.ts";

/** Numbers that must stay exact (10^25 and up) are written as decimal strings: TOML floats are doubles. */
const DecimalText = z.string().refine(isDecimalText, { message: 'must be a decimal number written as a string, e.g. "1e25"' });

const Name = z.string().regex(/^[a-z][a-z0-9_]*$/, "use lower_snake_case");

export const ThresholdSchema = z.strictObject({
  flops: DecimalText.refine((t) => isDecimalText(t) && parseDecimal(t).m > 0n, { message: "must be > 0" }).describe("the threshold, in FLOP"),
  comparison: z.enum(["greater_than", "greater_or_equal"]).describe("how the legal text compares cumulative compute with it"),
  label: z.string().min(1).describe("short name shown in the report"),
  source: z.string().min(1).describe("the legal source"),
  wording: z.string().min(1).describe("the source's own words"),
});

/** `[trace]`: training-trace checks and reports. The values live in config.toml only. */
export const TraceSchema = z.strictObject({
  payload_type: z.string().min(1).describe("DSSE payloadType of signed traces"),
  crosscheck_factor: DecimalText.refine((t) => isDecimalText(t) && compare(parseDecimal(t), parseDecimal("1")) >= 0, { message: "must be ≥ 1" }).describe(
    "a declared total off from 6·N·D by more than this factor (either way) is flagged",
  ),
  privacy_keys: z.array(z.string().min(1)).min(1).describe("key words no trace key may contain"),
  thresholds: z.record(Name, ThresholdSchema).describe("legal compute thresholds, by id"),
});

export type TraceConfig = z.infer<typeof TraceSchema>;
export type ThresholdConfig = z.infer<typeof ThresholdSchema>;
