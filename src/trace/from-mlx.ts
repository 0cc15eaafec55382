import { statSync, existsSync } from "node:fs";
import { InputError } from "../errors.ts";
import { READ_LIMITS, readBoundedText } from "../files.ts";
import { formatDecimal, fromBigInt, mul, parseDecimal, type Decimal } from "../decimal.ts";
import { buildTrace, resolveStart, type BuiltTrace, type RawEvent } from "./build.ts";
import type { Provenance } from "./provenance.ts";

/** One training report of an mlx-lm LoRA run: the iteration, cumulative trained tokens, tokens/sec. */
export interface MlxReport {
  iter: number;
  trainedTokens: bigint;
  tokensPerSec: number;
  peakMemGb?: string;
}

export interface MlxLog {
  format: "lines" | "table";
  reports: MlxReport[];
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
// mlx-lm ≤ 0.31 (tuner/trainer.py): "Iter 10: Train loss 2.345, Learning Rate 1.000e-05, It/sec 0.512,
// Tokens/sec 412.300, Trained Tokens 8054, Peak mem 18.200 GB"
const LINE = /^Iter (\d+): Train loss [^,]*,(.*)$/;
// mlx-lm ≥ 0.32 (cli_ui.py TrainUI): a header, then "  {it:>4}    {loss:>5.3f} ▼    {tok/s:>5,.0f}    {tokens/1000:>5.1f}k"
const TABLE_HEADER = /^\s*iter\s+train_loss\s+tok\/s\s+tokens\s*$/;
const TABLE_ROW = /^\s*(\d+)\s+(?:[\d.]+|nan|inf)\s*[▼▲]\s+([\d,]+)\s+([\d.]+)k\s*$/;

/** Reads both mlx-lm log formats; validation, checkpoint and progress-bar lines are skipped. */
export function parseMlxLog(text: string, source: string): MlxLog {
  const lines = text.replace(ANSI, "").split(/\r?\n|\r/);
  const reports: MlxReport[] = [];
  let table = false;
  let sawLines = false;
  for (const line of lines) {
    const m = LINE.exec(line.trim());
    if (m) {
      sawLines = true;
      const fields = new Map(
        m[2]!.split(",").map((f) => {
          const t = f.trim();
          const i = t.lastIndexOf(" ");
          return [t.slice(0, i), t.slice(i + 1)] as const;
        }),
      );
      const tokens = fields.get("Trained Tokens");
      const tps = fields.get("Tokens/sec");
      if (!tokens || !/^\d+$/.test(tokens) || !tps)
        throw new InputError(`${source}: a training report without "Trained Tokens" and "Tokens/sec": ${line.trim()}`);
      const peak = /^Peak mem ([\d.]+) GB$/.exec(
        m[2]!
          .split(",")
          .map((f) => f.trim())
          .find((f) => f.startsWith("Peak mem")) ?? "",
      );
      reports.push({ iter: Number(m[1]), trainedTokens: BigInt(tokens), tokensPerSec: Number(tps), peakMemGb: peak?.[1] });
      continue;
    }
    if (TABLE_HEADER.test(line)) {
      table = true;
      continue;
    }
    const row = table ? TABLE_ROW.exec(line) : null;
    if (row) {
      const k = parseDecimal(row[3]!);
      reports.push({
        iter: Number(row[1]),
        trainedTokens: BigInt(formatDecimal(mul(k, parseDecimal("1000"))).split(".")[0]!),
        tokensPerSec: Number(row[2]!.replace(/,/g, "")),
      });
    }
  }
  if (sawLines && table) throw new InputError(`${source}: mixes the mlx-lm ≤0.31 line format and the ≥0.32 table format`);
  if (reports.length === 0)
    throw new InputError(
      `${source}: no mlx-lm training reports found`,
      'Expected "Iter N: Train loss …" lines (mlx-lm ≤ 0.31) or the "iter train_loss tok/s tokens" table (≥ 0.32).',
    );
  for (let i = 1; i < reports.length; i++) {
    if (reports[i]!.iter <= reports[i - 1]!.iter || reports[i]!.trainedTokens < reports[i - 1]!.trainedTokens) {
      throw new InputError(`${source}: report for iteration ${reports[i]!.iter} goes backwards (a resumed or concatenated run?)`);
    }
  }
  return { format: sawLines ? "lines" : "table", reports };
}

/** An mlx-lm log as a trace: one compute event per report, FLOPs = 6 · N · (tokens trained since the last). */
export function traceFromMlx(file: string, params: Decimal, opts: { start?: string }): { built: BuiltTrace; provenance: Provenance } {
  if (!existsSync(file)) throw new InputError(`${file}: no such file`);
  const log = parseMlxLog(readBoundedText(file, READ_LIMITS.trainingLog, "training log"), file);
  const notes: string[] = [];
  const six = fromBigInt(6n);
  let prevTokens = 0n;
  let offsetMs = 0;
  const raw: RawEvent[] = log.reports.map((r) => {
    const delta = r.trainedTokens - prevTokens;
    prevTokens = r.trainedTokens;
    // Tokens/sec is that interval's tokens over its training time, so it gives the interval's length.
    if (delta > 0n && !(r.tokensPerSec > 0)) throw new InputError(`${file}: iteration ${r.iter} reports no positive tokens/sec; its duration is unknown`);
    offsetMs += delta > 0n ? Math.round((Number(delta) / r.tokensPerSec) * 1000) : 0;
    return { step: r.iter, flops: mul(six, mul(params, fromBigInt(delta))), offsetMs };
  });
  const start = resolveStart(opts.start, statSync(file).mtimeMs, raw[raw.length - 1]!.offsetMs, notes);
  const peaks = log.reports.map((r) => r.peakMemGb).filter((p): p is string => p !== undefined);
  const peak = peaks.length ? peaks.reduce((a, b) => (Number(b) > Number(a) ? b : a)) : undefined;
  if (log.format === "table") notes.push("the ≥0.32 table prints trained tokens in thousands to one decimal, so D is exact only to ±50 tokens");
  notes.push("event timestamps end each report interval: its trained tokens divided by its tokens/sec");
  const built = buildTrace(raw, start, { peakMemoryGb: peak });
  const provenance: Provenance = {
    format: "sekft-trace-provenance/1",
    source: file,
    reader: log.format === "lines" ? "mlx-lm LoRA log (≤ 0.31 line format)" : "mlx-lm LoRA log (≥ 0.32 table format)",
    formula: "FLOPs per report = 6 × N × (trained tokens since the previous report); total = 6 × N × D",
    params: formatDecimal(params),
    tokens: log.reports[log.reports.length - 1]!.trainedTokens.toString(),
    total_flops: formatDecimal(built.total),
    notes: [`${log.reports.length} reports up to iteration ${log.reports[log.reports.length - 1]!.iter}`, ...notes],
  };
  return { built, provenance };
}
