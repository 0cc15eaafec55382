import type { ThresholdConfig, TraceConfig } from "../config/trace-schema.ts";
import { InputError } from "../errors.ts";
import { add, approxRatio, compare, formatDecimal, formatRatio, mul, parseDecimal, ratio, ZERO, type Decimal } from "../decimal.ts";
import { isObject, JsonNumber, type JsonValue } from "./parse.ts";

export type Position = "above" | "at" | "below";

export interface ThresholdPlacement {
  id: string;
  label: string;
  source: string;
  wording: string;
  threshold_flops: string;
  comparison: ThresholdConfig["comparison"];
  position: Position;
  /** Whether the legal comparison holds: "greater_than" is not met *at* the threshold. */
  meets: boolean;
  /** total / threshold, exactly (reduced fraction) and to 6 significant digits. */
  margin: { exact: string; approx: string };
  /** The first compute event whose cumulative total meets the comparison; null when none does. */
  first_crossing: { index: number; step: string; cumulative_flops: string } | null;
}

export interface CrossCheck {
  params: string;
  tokens: string;
  expected_flops: string;
  declared_flops: string;
  /** declared / (6·N·D) */
  ratio: { exact: string; approx: string };
  factor: string;
  disagrees: boolean;
}

export interface TraceReport {
  file: string;
  total_flops: string;
  events_flops: string;
  thresholds: ThresholdPlacement[];
  crosscheck: CrossCheck | null;
}

function meets(value: Decimal, threshold: Decimal, comparison: ThresholdConfig["comparison"]): boolean {
  const c = compare(value, threshold);
  return comparison === "greater_than" ? c > 0 : c >= 0;
}

/** Places the trace's declared total against each configured threshold, exactly. */
export function placeThresholds(total: Decimal, events: { step: string; flops: Decimal }[], thresholds: TraceConfig["thresholds"]): ThresholdPlacement[] {
  return Object.entries(thresholds).map(([id, t]) => {
    const limit = parseDecimal(t.flops);
    const c = compare(total, limit);
    const r = ratio(total, limit);
    let cumulative = ZERO;
    let first: ThresholdPlacement["first_crossing"] = null;
    for (const [index, e] of events.entries()) {
      cumulative = add(cumulative, e.flops);
      if (meets(cumulative, limit, t.comparison)) {
        first = { index, step: e.step, cumulative_flops: formatDecimal(cumulative) };
        break;
      }
    }
    return {
      id,
      label: t.label,
      source: t.source,
      wording: t.wording,
      threshold_flops: formatDecimal(limit),
      comparison: t.comparison,
      position: c > 0 ? "above" : c === 0 ? "at" : "below",
      meets: meets(total, limit, t.comparison),
      margin: { exact: formatRatio(r), approx: approxRatio(r) },
      first_crossing: first,
    };
  });
}

/** 6·N·D against the declared total; off by more than `factor` either way is a disagreement. */
export function crossCheck(declared: Decimal, params: Decimal, tokens: Decimal, factor: Decimal): CrossCheck {
  const expected = mul(parseDecimal("6"), mul(params, tokens));
  if (expected.m === 0n) throw new InputError("--params and --tokens must both be > 0 for the 6·N·D cross-check");
  const r = ratio(declared, expected);
  const disagrees = compare(declared, mul(factor, expected)) > 0 || compare(mul(declared, factor), expected) < 0;
  return {
    params: formatDecimal(params),
    tokens: formatDecimal(tokens),
    expected_flops: formatDecimal(expected),
    declared_flops: formatDecimal(declared),
    ratio: { exact: formatRatio(r), approx: approxRatio(r) },
    factor: formatDecimal(factor),
    disagrees,
  };
}

/** Builds the report of one parsed trace; the trace must have a numeric summary.total_flops. */
export function reportTrace(file: string, doc: JsonValue, config: TraceConfig, nd?: { params: Decimal; tokens: Decimal }): TraceReport {
  const summary = isObject(doc) && isObject(doc.summary) ? doc.summary : undefined;
  if (!(summary?.total_flops instanceof JsonNumber))
    throw new InputError(`${file}: no numeric summary.total_flops to report on`, "Run `sekft trace check` on it first.");
  const total = summary.total_flops.value;
  const rawEvents = isObject(doc) && Array.isArray(doc.compute_events) ? doc.compute_events : [];
  const events = rawEvents.filter(isObject).map((e) => ({
    step: e.step instanceof JsonNumber ? e.step.text : "?",
    flops: e.flops instanceof JsonNumber ? e.flops.value : ZERO,
  }));
  return {
    file,
    total_flops: formatDecimal(total),
    events_flops: formatDecimal(events.reduce((s, e) => add(s, e.flops), ZERO)),
    thresholds: placeThresholds(total, events, config.thresholds),
    crosscheck: nd ? crossCheck(total, nd.params, nd.tokens, parseDecimal(config.crosscheck_factor)) : null,
  };
}

/** The human table (stderr). */
export function renderReport(r: TraceReport): string {
  const rows = r.thresholds.map((t) => [
    t.label,
    `${t.comparison === "greater_than" ? ">" : "≥"} ${t.threshold_flops}`,
    t.position,
    t.meets ? "yes" : "no",
    `${t.margin.approx} (${t.margin.exact})`,
    t.first_crossing ? `step ${t.first_crossing.step}` : "never",
  ]);
  const head = ["threshold", "rule", "position", "meets", "total / threshold", "first crossed"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const out = [`${r.file}: total ${r.total_flops} FLOP (compute events sum to ${r.events_flops})`, line(head), ...rows.map(line)];
  out.push(...r.thresholds.map((t) => `  ${t.label}: ${t.source}`));
  if (r.crosscheck) {
    const c = r.crosscheck;
    out.push(
      `6·N·D cross-check: 6 × ${c.params} × ${c.tokens} = ${c.expected_flops}; declared/expected = ${c.ratio.approx} (${c.ratio.exact}); ${c.disagrees ? `DISAGREES by more than a factor of ${c.factor}` : `within a factor of ${c.factor}`}`,
    );
  }
  return `${out.join("\n")}\n`;
}
