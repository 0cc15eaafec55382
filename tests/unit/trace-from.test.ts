import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { checkTrace } from "../../src/trace/check.ts";
import { compare, parseDecimal } from "../../src/decimal.ts";
import { traceFromHf } from "../../src/trace/from-hf.ts";
import { parseMlxLog, traceFromMlx } from "../../src/trace/from-mlx.ts";
import { parseJsonExact, stringifyExact } from "../../src/trace/parse.ts";

const F = (name: string) => join(import.meta.dir, "../../fixtures/trace/from", name);
const KEYS = loadConfig(undefined).trace.privacy_keys;
const START = { start: "2025-05-01T09:00:00Z" };
const passes = (trace: unknown) => checkTrace(parseJsonExact(stringifyExact(trace), "t"), KEYS);

describe("mlx-lm logs", () => {
  test("≤ 0.31 line format: train reports only, tokens cumulative", () => {
    const log = parseMlxLog(
      "Iter 1: Val loss 2.0, Val took 1.0s\nIter 10: Train loss 1.500, Learning Rate 1.000e-05, It/sec 0.5, Tokens/sec 100.000, Trained Tokens 2000, Peak mem 3.500 GB\nIter 20: Saved adapter weights to a and b.\nIter 20: Train loss 1.400, Learning Rate 1.000e-05, It/sec 0.5, Tokens/sec 200.000, Trained Tokens 4000, Peak mem 3.600 GB\n",
      "t",
    );
    expect(log).toEqual({
      format: "lines",
      reports: [
        { iter: 10, trainedTokens: 2000n, tokensPerSec: 100, peakMemGb: "3.500" },
        { iter: 20, trainedTokens: 4000n, tokensPerSec: 200, peakMemGb: "3.600" },
      ],
    });
  });

  test("≥ 0.32 table format, with terminal colour codes", () => {
    const log = parseMlxLog(
      "  \x1b[1miter   train_loss     tok/s     tokens\x1b[0m\n     1    val 2.100    3.21s\n    10    2.300 ▼    1,284     12.5k\n    20    2.400 ▲    1,295   1234.5k\n  save  0000020_adapters.safetensors\n",
      "t",
    );
    expect(log).toEqual({
      format: "table",
      reports: [
        { iter: 10, trainedTokens: 12500n, tokensPerSec: 1284 },
        { iter: 20, trainedTokens: 1234500n, tokensPerSec: 1295 },
      ],
    });
  });

  test("a log with no reports, or going backwards, is refused", () => {
    expect(() => parseMlxLog("Loading pretrained model\n", "t")).toThrow(/no mlx-lm training reports/);
    expect(() => parseMlxLog("Iter 10: Train loss 1, Tokens/sec 1, Trained Tokens 20\nIter 5: Train loss 1, Tokens/sec 1, Trained Tokens 30\n", "t")).toThrow(
      /backwards/,
    );
  });

  for (const [file, tokens] of [
    ["mlx-lines.log", "43850"],
    ["mlx-table.log", "63400"],
  ] as const) {
    test(`${file} becomes a trace that passes trace check, total = 6·N·D exactly`, () => {
      const { built, provenance } = traceFromMlx(F(file), parseDecimal("7241732000"), START);
      expect(passes(built.trace)).toEqual([]);
      expect(provenance.tokens).toBe(tokens);
      expect(compare(built.total, parseDecimal(`${6 * 7241732 * Number(tokens)}e3`))).toBe(0);
      expect(built.trace.start_time).toBe("2025-05-01T09:00:00.000Z");
      expect(stringifyExact(built.trace)).not.toMatch(/7241732000|params|tokens/); // N and D stay out of the trace
    });
  }
});

describe("Hugging Face Trainer state", () => {
  test("total_flos is split over logged steps in whole FLOPs that sum to it exactly", () => {
    const { built, provenance } = traceFromHf(F("hf-trainer_state.json"), undefined, START);
    expect(passes(built.trace)).toEqual([]);
    expect(compare(built.total, parseDecimal("1.2345678901234e+16"))).toBe(0);
    expect((built.trace.compute_events as unknown[]).length).toBe(6);
    expect(provenance.reader).toContain("total_flos");
    expect(built.trace.end_time).toBe("2025-05-01T09:05:12.457Z"); // train_runtime 312.4567 s
  });

  test("with --params and num_input_tokens_seen, FLOPs are 6·N·D", () => {
    const { built, provenance } = traceFromHf(F("hf-trainer_state-tokens.json"), parseDecimal("494032768"), START);
    expect(passes(built.trace)).toEqual([]);
    expect(provenance.tokens).toBe("245760");
    expect(compare(built.total, parseDecimal(String(6n * 494032768n * 245760n)))).toBe(0);
  });

  test("a file that is not a Trainer state is refused", () => {
    expect(() => traceFromHf(join(import.meta.dir, "../../fixtures/trace/check/spec-minimal.json"), undefined, START)).toThrow(/log_history/);
  });
});
