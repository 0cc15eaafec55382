import { statSync } from "node:fs";
import { InputError } from "../errors.ts";
import { compare, formatDecimal, fromBigInt, isInteger, mul, normalize, toBigInt, ZERO, type Decimal } from "../decimal.ts";
import { buildTrace, resolveStart, type BuiltTrace, type RawEvent } from "./build.ts";
import { isObject, JsonNumber, readJsonExact, type JsonValue } from "./parse.ts";
import type { Provenance } from "./provenance.ts";

interface HfLog {
  step: number;
  tokensSeen?: bigint;
}

function numberAt(o: Record<string, JsonValue>, key: string): Decimal | undefined {
  const v = o[key];
  return v instanceof JsonNumber ? v.value : undefined;
}

/**
 * A Hugging Face Trainer state (trainer_state.json) as a trace. With --params and `num_input_tokens_seen`
 * in the logs, each logged step gets 6 · N · (tokens since the last log). Otherwise the Trainer's own
 * `total_flos` (its 6 × non-embedding parameters × tokens estimate) is split over the logged steps in
 * proportion to the steps each covers, in whole FLOPs, so the parts sum to it exactly.
 */
export function traceFromHf(file: string, params: Decimal | undefined, opts: { start?: string }): { built: BuiltTrace; provenance: Provenance } {
  const state = readJsonExact(file);
  if (!isObject(state) || !Array.isArray(state.log_history)) throw new InputError(`${file}: not a Trainer state (no log_history)`);
  const history = state.log_history.filter(isObject);
  const logs: HfLog[] = [];
  for (const entry of history) {
    const step = numberAt(entry, "step");
    if (!step || !isInteger(step) || !("loss" in entry)) continue; // eval and summary entries carry no loss
    const seen = numberAt(entry, "num_input_tokens_seen");
    const last = logs[logs.length - 1];
    if (last && Number(toBigInt(step)) <= last.step) continue;
    logs.push({ step: Number(toBigInt(step)), tokensSeen: seen && isInteger(seen) ? toBigInt(seen) : undefined });
  }
  const globalStep = numberAt(state, "global_step");
  const finalStep = Math.max(globalStep ? Number(toBigInt(globalStep)) : 0, logs.at(-1)?.step ?? 0);
  if (finalStep <= 0) throw new InputError(`${file}: no training steps (global_step and log_history are empty)`);
  if (logs.at(-1)?.step !== finalStep) logs.push({ step: finalStep, tokensSeen: undefined });
  const runtime = history.map((e) => numberAt(e, "train_runtime")).find((r) => r !== undefined);
  const notes: string[] = [];
  const runtimeMs = runtime ? Number(formatDecimal(runtime)) * 1000 : logs.length * 1000;
  if (!runtime) notes.push("no train_runtime in log_history: events are spaced one second apart");
  else notes.push("event timestamps interpolate train_runtime linearly over the steps");
  const offset = (step: number) => Math.round((runtimeMs * step) / finalStep);

  const withTokens = params !== undefined && logs.slice(0, -1).every((l) => l.tokensSeen !== undefined) && logs.at(-1)!.tokensSeen !== undefined;
  let raw: RawEvent[];
  let reader: string;
  let formula: string;
  let tokens: string;
  if (withTokens) {
    let prev = 0n;
    raw = logs.map((l) => {
      const delta = l.tokensSeen! - prev;
      prev = l.tokensSeen!;
      return { step: l.step, flops: mul(fromBigInt(6n), mul(params!, fromBigInt(delta))), offsetMs: offset(l.step) };
    });
    reader = "Hugging Face Trainer state (num_input_tokens_seen)";
    formula = "FLOPs per logged step = 6 × N × (input tokens seen since the previous log); total = 6 × N × D";
    tokens = prev.toString();
  } else {
    const total = numberAt(state, "total_flos");
    if (!total || compare(total, ZERO) <= 0)
      throw new InputError(`${file}: no positive total_flos, and no --params with num_input_tokens_seen to compute FLOPs from`);
    const n = normalize(total);
    const unitExp = Math.min(n.e, 0);
    const units = n.m * 10n ** BigInt(n.e - unitExp); // total = units × 10^unitExp, units a whole number
    let prev = 0n;
    raw = logs.map((l) => {
      const cumulative = (units * BigInt(l.step)) / BigInt(finalStep);
      const part = normalize({ m: cumulative - prev, e: unitExp });
      prev = cumulative;
      return { step: l.step, flops: part, offsetMs: offset(l.step) };
    });
    reader = "Hugging Face Trainer state (total_flos)";
    formula = "total = the Trainer's total_flos (its 6 × non-embedding N × D estimate), split over logged steps in proportion to steps";
    tokens = "unknown (the Trainer state does not record it without include_num_input_tokens_seen)";
    if (params !== undefined) notes.push("--params given but the logs lack num_input_tokens_seen: used total_flos");
  }
  const start = resolveStart(opts.start, statSync(file).mtimeMs, raw.at(-1)!.offsetMs, notes);
  const built = buildTrace(raw, start);
  const provenance: Provenance = {
    format: "sekft-trace-provenance/1",
    source: file,
    reader,
    formula,
    params: params ? formatDecimal(params) : "unknown (not given: pass --params)",
    tokens,
    total_flops: formatDecimal(built.total),
    notes: [`${logs.length} compute events up to step ${finalStep}`, ...notes],
  };
  return { built, provenance };
}
