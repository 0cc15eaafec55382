import { expect, test } from "bun:test";
import { compareReports, formatComparison, metricsOf } from "../../src/eval/compare.ts";
import { scoreGroup } from "../../src/eval/metrics.ts";
import { INTERVALS, type WitnessEvalReport } from "../../src/eval/report.ts";

function report(model: string, counts: { n: number; c: number }[], causes: Record<string, number>): WitnessEvalReport {
  const overall = scoreGroup(counts, 2, 1);
  const answers = overall.answers;
  return {
    type: "sekft-eval",
    version: 1,
    track: "witness",
    model,
    endpoint: "http://127.0.0.1:1/v1",
    dataset: "valid.jsonl",
    split: "valid",
    samples: 2,
    temperature: 0.7,
    max_tokens: 100,
    runner: "host",
    witness_version: "v0.11.0",
    created: "2026-01-01T00:00:00.000Z",
    intervals: INTERVALS,
    questions: counts.length,
    answers,
    scored: answers,
    infra_errors: 0,
    overall,
    by_family: { attest: overall },
    by_attestor: { git: overall },
    by_cause: Object.fromEntries(Object.entries(causes).map(([c, n]) => [c, { count: n, share: n / answers, ci: [0, 1] as [number, number] }])),
    tokens: { prompt: 0, completion: 0, requests: answers, per_answer: { prompt: 10, completion: 5 } },
    seconds: { model_per_answer: 1, run_per_answer: 2, wall: 3 },
    outputs: { answers: "answers.jsonl", sft: "sft-valid.jsonl", sft_lines: 0, sft_meta: "sft.meta.jsonl" },
  };
}

test("compare: per metric A, B and B − A; a cause one report lacks counts as share 0", () => {
  const a = report(
    "base",
    [
      { n: 2, c: 0 },
      { n: 2, c: 1 },
    ],
    { "no-script": 3 },
  );
  const b = report(
    "tuned",
    [
      { n: 2, c: 2 },
      { n: 2, c: 1 },
    ],
    {},
  );
  expect(metricsOf(a).get("pass@1")).toBeCloseTo(0.25, 12);
  expect(metricsOf(a).get("pass@2")).toBeCloseTo(0.5, 12);
  const rows = compareReports(a, b);
  expect(rows.find((r) => r.metric === "pass@1")!.diff).toBeCloseTo(0.5, 12);
  expect(rows.find((r) => r.metric === "cause no-script share")).toEqual({ metric: "cause no-script share", a: 0.75, b: 0, diff: -0.75 });
  const text = formatComparison(a, b, rows);
  expect(text).toMatch(/^pass@1\s+25\.0%\s+75\.0%\s+\+50\.0 pt$/m);
  expect(text).toMatch(/^tokens\/answer prompt\s+10\s+10\s+0$/m);
});
