import { InputError, UsageError } from "../errors.ts";
import { compare, isDecimalText, isInteger, parseDecimal, ZERO, type Decimal } from "../decimal.ts";
import { isObject, JsonNumber, readJsonExact } from "./parse.ts";

/**
 * Where a trace's FLOP figures came from. It names N and D, which the trace itself must not carry (the
 * privacy rule), so it travels as a side file next to the trace and as a note on stderr.
 */
export interface Provenance {
  format: "sekft-trace-provenance/1";
  source: string;
  reader: string;
  formula: string;
  params: string;
  tokens: string;
  total_flops: string;
  notes: string[];
}

/** Parses a positive integer count given as text (flag or file), exactly. */
export function parseCount(name: string, text: string): Decimal {
  const clean = text.replace(/_/g, "");
  if (!isDecimalText(clean)) throw new UsageError(`${name} must be a number, got ${JSON.stringify(text)}`);
  const d = parseDecimal(clean);
  if (!isInteger(d) || compare(d, ZERO) <= 0) throw new UsageError(`${name} must be a whole number > 0, got ${JSON.stringify(text)}`);
  return d;
}

/** N and D from flags, else from a provenance side file, else none. */
export function resolveParamsTokens(opts: { params?: string; tokens?: string; provenance?: string }): { params: Decimal; tokens: Decimal } | undefined {
  if (opts.params !== undefined && opts.tokens !== undefined)
    return { params: parseCount("--params", opts.params), tokens: parseCount("--tokens", opts.tokens) };
  if (opts.provenance === undefined) return undefined;
  const doc = readJsonExact(opts.provenance);
  const get = (key: string): Decimal => {
    const v = isObject(doc) ? doc[key] : undefined;
    const text = v instanceof JsonNumber ? v.text : typeof v === "string" ? v : undefined;
    if (text === undefined) throw new InputError(`${opts.provenance}: no "${key}" in the provenance file`);
    return parseCount(`${opts.provenance}: ${key}`, text);
  };
  return { params: get("params"), tokens: get("tokens") };
}
