import { InputError } from "../errors.ts";
import { writeFileAtomic } from "../dataset/jsonl.ts";
import { parseDecimal, sum, type Decimal } from "../decimal.ts";
import { JsonNumber, stringifyExact } from "./parse.ts";
import type { Provenance } from "./provenance.ts";
import { formatInstant, parseDateTime } from "./time.ts";

/** One compute event before it becomes JSON: the step, its FLOPs, and when it ended (ms after the start). */
export interface RawEvent {
  step: number;
  flops: Decimal;
  offsetMs: number;
}

export interface BuiltTrace {
  trace: Record<string, unknown>;
  total: Decimal;
}

/** The start instant: `--start` when given, else the input file's mtime minus the training duration. */
export function resolveStart(start: string | undefined, mtimeMs: number, durationMs: number, notes: string[]): number {
  if (start !== undefined) {
    if (!parseDateTime(start)) throw new InputError(`--start must be an RFC 3339 date-time, got ${JSON.stringify(start)}`);
    return Date.parse(start);
  }
  notes.push("start_time is the input file's modification time minus the training duration (pass --start to set it)");
  return Math.round(mtimeMs - durationMs);
}

/**
 * A VeriTrain 1.0 trace that `trace check` accepts: events in order, totals summed exactly, no private
 * keys. N and D stay out of it; they go to the provenance note.
 */
export function buildTrace(events: RawEvent[], startMs: number, extra: { peakMemoryGb?: string } = {}): BuiltTrace {
  if (events.length === 0) throw new InputError("no training progress found to turn into compute events");
  const durationMs = Math.max(1, events[events.length - 1]!.offsetMs);
  const total = sum(events.map((e) => e.flops));
  const summary: Record<string, unknown> = {
    total_flops: JsonNumber.of(total),
    num_steps: events.length,
    training_duration_seconds: JsonNumber.of(parseDecimal((durationMs / 1000).toFixed(3))),
  };
  if (extra.peakMemoryGb !== undefined) summary.peak_memory_gb = new JsonNumber(extra.peakMemoryGb);
  const trace = {
    version: "1.0",
    start_time: formatInstant(startMs),
    end_time: formatInstant(startMs + durationMs),
    compute_events: events.map((e) => ({ step: e.step, flops: JsonNumber.of(e.flops), timestamp: formatInstant(startMs + e.offsetMs) })),
    summary,
  };
  return { trace, total };
}

/** Writes the trace (atomically to `out`, or returns its text for stdout) and the provenance side file. */
export function emitTrace(
  built: BuiltTrace,
  provenance: Provenance,
  opts: { out?: string; provenanceOut?: string },
): { text: string; provenanceFile?: string } {
  const text = stringifyExact(built.trace);
  if (opts.out) writeFileAtomic(opts.out, text);
  const provenanceFile = opts.provenanceOut ?? (opts.out ? `${opts.out}.provenance.json` : undefined);
  if (provenanceFile) writeFileAtomic(provenanceFile, `${JSON.stringify(provenance, null, 2)}\n`);
  return { text, provenanceFile };
}

/** The provenance as lines for stderr. */
export function renderProvenance(p: Provenance): string {
  return (
    [
      `provenance: ${p.reader} (${p.source})`,
      `  ${p.formula}`,
      `  N = ${p.params} parameters, D = ${p.tokens} tokens, total = ${p.total_flops} FLOP`,
      ...p.notes.map((n) => `  note: ${n}`),
    ].join("\n") + "\n"
  );
}
