import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { checkFile, checkTrace } from "../../src/trace/check.ts";
import { parseJsonExact } from "../../src/trace/parse.ts";
import { keyWords } from "../../src/trace/rules.ts";

const DIR = join(import.meta.dir, "../../fixtures/trace/check");
const KEYS = loadConfig(undefined).trace.privacy_keys;
const check = (name: string) => checkFile(join(DIR, name), KEYS);
const rules = (name: string) => check(name).findings.map((f) => `${f.rule} ${f.pointer}`);

describe("trace check: the spec's own examples", () => {
  test("the minimal trace passes", () => {
    expect(check("spec-minimal.json").status).toBe("ok");
  });
  test("the EU AI Act example fails only num_steps (3000 declared, 3 events); its total holds exactly", () => {
    expect(rules("spec-eu-ai-act.json")).toEqual(["num_steps /summary/num_steps"]);
  });
  test("the threshold-violation example fails only num_steps", () => {
    expect(rules("spec-threshold-violation.json")).toEqual(["num_steps /summary/num_steps"]);
  });
});

describe("trace check: one purpose-built trace per rule", () => {
  const expected: Record<string, string[]> = {
    "bad-total-flops.json": ["total_flops /summary/total_flops"],
    "bad-float-trap.json": ["total_flops /summary/total_flops"],
    "bad-num-steps.json": ["num_steps /summary/num_steps"],
    "bad-end-before-start.json": ["end_after_start /end_time"],
    "bad-timestamp-order.json": ["timestamp_order /compute_events/1/timestamp"],
    "bad-negative.json": ["non_negative /safety_evals/0/score"],
    "bad-privacy.json": ["privacy /metadata/learning_rate", "privacy /metadata/training/batchSize"],
    "bad-gate-before-eval.json": ["gate_order /deployment_gates/0"],
    "bad-gate-after-failed-eval.json": ["gate_order /deployment_gates/0"],
    "bad-schema.json": ["schema /version", "schema /compute_events/0/timestamp", "schema /safety_evals/0/eval_type", "schema /safety_evals/0/passed"],
    "bad-schema-required.json": ["schema /summary", "schema /compute_events/0/step", "schema /compute_events/1/step", "schema /metadata/framework"],
  };
  for (const [file, want] of Object.entries(expected)) test(file, () => expect(rules(file)).toEqual(want));

  test("every fixture is covered, and good-* pass", () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith(".json"));
    for (const f of files.filter((f) => f.startsWith("bad-"))) expect(Object.keys(expected)).toContain(f);
    for (const f of files.filter((f) => f.startsWith("good-"))) expect(check(f)).toMatchObject({ status: "ok", findings: [] });
    expect(files.filter((f) => f.startsWith("good-")).length).toBeGreaterThanOrEqual(3);
  });

  test("unreadable files are results with status unreadable", () => {
    expect(checkFile(join(DIR, "nope.json"), KEYS)).toMatchObject({ status: "unreadable" });
  });
});

describe("trace check: rule details", () => {
  const trace = (extra: string) =>
    parseJsonExact(`{"version":"1.0","start_time":"2025-01-01T00:00:00Z","summary":{"total_flops":0,"num_steps":0}${extra}}`, "t");
  test("a missing event list sums to zero; a nonzero total then fails", () => {
    expect(checkTrace(trace(""), KEYS)).toEqual([]);
    expect(
      checkTrace(parseJsonExact('{"version":"1.0","start_time":"2025-01-01T00:00:00Z","summary":{"total_flops":1,"num_steps":0}}', "t"), KEYS)[0]!.rule,
    ).toBe("total_flops");
  });
  test("privacy words match whole words, not substrings", () => {
    expect(keyWords("peakLRSchedule")).toEqual(["peak", "lr", "schedule"]);
    expect(checkTrace(trace(',"metadata":{"world":"x","model_name":"m","hardware":"8xH100"}'), KEYS)).toEqual([]);
    expect(checkTrace(trace(',"metadata":{"peak_lr":1}'), KEYS).map((f) => f.rule)).toEqual(["privacy"]);
    expect(checkTrace(trace(',"summary_extra":{"Num-Layers":32}'), KEYS).map((f) => f.pointer)).toEqual(["/summary_extra/Num-Layers"]);
  });
  test("a passing eval at the same instant as the gate allows it; a failed one at that instant does not", () => {
    const ev = (passed: boolean) => `{"checkpoint":1,"eval_type":"CBRN","passed":${passed},"timestamp":"2025-01-01T05:00:00Z"}`;
    const gate = ',"deployment_gates":[{"approved":true,"timestamp":"2025-01-01T05:00:00Z"}]';
    expect(checkTrace(trace(`,"safety_evals":[${ev(true)}]${gate}`), KEYS)).toEqual([]);
    expect(checkTrace(trace(`,"safety_evals":[${ev(true)},${ev(false)}]${gate}`), KEYS).map((f) => f.rule)).toEqual(["gate_order"]);
    expect(checkTrace(trace(gate), KEYS).map((f) => f.message)).toEqual([expect.stringContaining("before any passing")]);
  });
  test("equal timestamps are in order (non-decreasing)", () => {
    const e = (s: number) => `{"step":${s},"flops":0,"timestamp":"2025-01-01T01:00:00Z"}`;
    const doc = parseJsonExact(
      `{"version":"1.0","start_time":"2025-01-01T00:00:00Z","compute_events":[${e(0)},${e(1)}],"summary":{"total_flops":0,"num_steps":2}}`,
      "t",
    );
    expect(checkTrace(doc, KEYS)).toEqual([]);
  });
});
