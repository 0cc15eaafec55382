import { compare, formatDecimal, isNegative, sum, ZERO, type Decimal } from "../decimal.ts";
import { isObject, JsonNumber, pointerJoin, type JsonValue } from "./parse.ts";
import { parseDateTime } from "./time.ts";

/** The rules `trace check` applies; each finding names one. */
export const RULES = {
  schema: "the VeriTrain 1.0 JSON schema",
  total_flops: "summary.total_flops == Σ compute_events[*].flops",
  num_steps: "summary.num_steps == len(compute_events)",
  end_after_start: "end_time > start_time",
  timestamp_order: "timestamps are non-decreasing in every list",
  non_negative: "all numeric values ≥ 0",
  privacy: "no architecture, hyperparameter, data or weight keys",
  gate_order: "a deployment gate is approved only after a passing safety evaluation and with no failed one at or before it",
} as const;

export type RuleId = keyof typeof RULES;

export interface Finding {
  pointer: string;
  rule: RuleId;
  message: string;
}

type Obj = { [key: string]: JsonValue };

function list(doc: Obj, key: string): Obj[] {
  const v = doc[key];
  return Array.isArray(v) ? v.map((x) => (isObject(x) ? x : {})) : [];
}

function num(v: JsonValue | undefined): Decimal | undefined {
  return v instanceof JsonNumber ? v.value : undefined;
}

function time(v: JsonValue | undefined): Decimal | undefined {
  return typeof v === "string" ? parseDateTime(v) : undefined;
}

/** Rules 1–2: the summary agrees with the events, compared exactly. */
export function checkSummary(doc: Obj): Finding[] {
  const summary = isObject(doc.summary) ? doc.summary : undefined;
  if (!summary) return [];
  const out: Finding[] = [];
  const events = Array.isArray(doc.compute_events) ? doc.compute_events : [];
  const declared = num(summary.total_flops);
  const flops = list(doc, "compute_events").map((e) => num(e.flops) ?? ZERO);
  const total = sum(flops);
  if (declared && compare(declared, total) !== 0) {
    out.push({
      pointer: "/summary/total_flops",
      rule: "total_flops",
      message: `declares ${(summary.total_flops as JsonNumber).text} but the ${events.length} compute events sum to ${formatDecimal(total)}`,
    });
  }
  const steps = num(summary.num_steps);
  if (steps && compare(steps, { m: BigInt(events.length), e: 0 }) !== 0) {
    out.push({
      pointer: "/summary/num_steps",
      rule: "num_steps",
      message: `declares ${(summary.num_steps as JsonNumber).text} but compute_events has ${events.length} entries`,
    });
  }
  return out;
}

/** Rules 3–4: end after start, and each list in time order. */
export function checkTimes(doc: Obj): Finding[] {
  const out: Finding[] = [];
  const start = time(doc.start_time);
  const end = time(doc.end_time);
  if (start && end && compare(end, start) <= 0) {
    out.push({
      pointer: "/end_time",
      rule: "end_after_start",
      message: `end_time ${doc.end_time as string} is not after start_time ${doc.start_time as string}`,
    });
  }
  for (const key of ["compute_events", "safety_evals", "deployment_gates"]) {
    let previous: { at: Decimal; text: string; index: number } | undefined;
    list(doc, key).forEach((item, i) => {
      const at = time(item.timestamp);
      if (!at) return;
      if (previous && compare(at, previous.at) < 0) {
        out.push({
          pointer: `/${key}/${i}/timestamp`,
          rule: "timestamp_order",
          message: `${item.timestamp as string} is earlier than /${key}/${previous.index}/timestamp ${previous.text}`,
        });
      }
      if (!previous || compare(at, previous.at) >= 0) previous = { at, text: item.timestamp as string, index: i };
    });
  }
  return out;
}

/** Rule 5: every number anywhere in the document is ≥ 0. */
export function checkNonNegative(value: JsonValue, pointer = ""): Finding[] {
  if (value instanceof JsonNumber) {
    return isNegative(value.value) ? [{ pointer: pointer || "/", rule: "non_negative", message: `${value.text} is negative` }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => checkNonNegative(v, pointerJoin(pointer, i)));
  if (isObject(value)) return Object.entries(value).flatMap(([k, v]) => checkNonNegative(v, pointerJoin(pointer, k)));
  return [];
}

/** Splits a key into lower-case words at separators and camelCase boundaries. */
export function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function containsRun(words: string[], run: string[]): boolean {
  for (let i = 0; i + run.length <= words.length; i++) {
    if (run.every((w, j) => words[i + j] === w)) return true;
  }
  return false;
}

/** The privacy rule: no key, at any depth, carries a forbidden word (from `[trace] privacy_keys`). */
export function checkPrivacy(value: JsonValue, forbidden: readonly string[], pointer = ""): Finding[] {
  const runs = forbidden.map((f) => ({ entry: f, words: keyWords(f) })).filter((r) => r.words.length > 0);
  const walk = (v: JsonValue, at: string): Finding[] => {
    if (Array.isArray(v)) return v.flatMap((x, i) => walk(x, pointerJoin(at, i)));
    if (!isObject(v)) return [];
    return Object.entries(v).flatMap(([k, x]) => {
      const here = pointerJoin(at, k);
      const hit = runs.find((r) => containsRun(keyWords(k), r.words));
      const own: Finding[] = hit
        ? [{ pointer: here, rule: "privacy", message: `key ${JSON.stringify(k)} matches the private term ${JSON.stringify(hit.entry)}` }]
        : [];
      return [...own, ...walk(x, here)];
    });
  };
  return walk(value, pointer);
}

/** Ordering: an approved gate needs a passing evaluation at or before it and no failed one at or before it. */
export function checkGates(doc: Obj): Finding[] {
  const evals = list(doc, "safety_evals").map((e, i) => ({ at: time(e.timestamp), passed: e.passed, i, type: e.eval_type }));
  const out: Finding[] = [];
  list(doc, "deployment_gates").forEach((gate, g) => {
    const at = time(gate.timestamp);
    if (gate.approved !== true || !at) return;
    const before = evals.filter((e) => e.at && compare(e.at, at) <= 0);
    if (!before.some((e) => e.passed === true)) {
      out.push({
        pointer: `/deployment_gates/${g}`,
        rule: "gate_order",
        message: `approved at ${gate.timestamp as string}, before any passing safety evaluation`,
      });
    }
    for (const e of before.filter((x) => x.passed === false)) {
      out.push({
        pointer: `/deployment_gates/${g}`,
        rule: "gate_order",
        message: `approved at ${gate.timestamp as string} although /safety_evals/${e.i} (${String(e.type)}) failed at or before it`,
      });
    }
  });
  return out;
}
