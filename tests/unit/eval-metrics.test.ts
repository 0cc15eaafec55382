import { describe, expect, test } from "bun:test";
import { bootstrapMean, passAtK, scoreGroup, wilson } from "../../src/eval/metrics.ts";

describe("pass@k (Chen et al., unbiased)", () => {
  test("known values", () => {
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 12);
    expect(passAtK(5, 0, 1)).toBe(0);
    expect(passAtK(5, 0, 5)).toBe(0);
    expect(passAtK(5, 5, 1)).toBe(1);
    expect(passAtK(5, 5, 5)).toBe(1);
    // 1 - C(8,2)/C(10,2) = 1 - 28/45
    expect(passAtK(10, 2, 2)).toBeCloseTo(1 - 28 / 45, 12);
    // n - c < k: some passing answer is in every draw
    expect(passAtK(4, 3, 2)).toBe(1);
  });

  test("k > n and impossible counts are errors", () => {
    expect(() => passAtK(3, 1, 4)).toThrow(/at least 4 answers/);
    expect(() => passAtK(3, 4, 1)).toThrow();
    expect(() => passAtK(3, 1, 0)).toThrow();
  });

  test("large n stays finite", () => {
    expect(passAtK(1000, 10, 100)).toBeCloseTo(1 - Math.exp(logC(990, 100) - logC(1000, 100)), 9);
  });
});

function logC(n: number, k: number): number {
  let s = 0;
  for (let i = 0; i < k; i++) s += Math.log(n - i) - Math.log(i + 1);
  return s;
}

describe("Wilson interval", () => {
  test("known values (95%)", () => {
    const [lo, hi] = wilson(8, 10);
    expect(lo).toBeCloseTo(0.4902, 3);
    expect(hi).toBeCloseTo(0.9433, 3);
  });
  test("edges stay inside [0, 1] and are not degenerate", () => {
    const [lo0, hi0] = wilson(0, 10);
    expect(lo0).toBe(0);
    expect(hi0).toBeCloseTo(0.2775, 3);
    const [lo1, hi1] = wilson(10, 10);
    expect(hi1).toBe(1);
    expect(lo1).toBeCloseTo(0.7225, 3);
    expect(wilson(0, 0)).toEqual([0, 1]);
  });
});

describe("groups", () => {
  test("pass@1 averages per question; pass@k only over questions with k answers", () => {
    const g = scoreGroup(
      [
        { n: 4, c: 4 },
        { n: 4, c: 0 },
        { n: 2, c: 1 },
      ],
      3,
      1,
    );
    expect(g.pass_at_1).toBeCloseTo((1 + 0 + 0.5) / 3, 12);
    expect(g.pass_at_k).toBeCloseTo(0.5, 12);
    expect(g.answers).toBe(10);
    expect(g.passed).toBe(5);
  });
  test("the bootstrap is seeded and brackets the mean", () => {
    const xs = [0, 1, 1, 0, 1, 0.5];
    const a = bootstrapMean(xs, 7);
    expect(bootstrapMean(xs, 7)).toEqual(a);
    expect(a[0]).toBeLessThanOrEqual(0.5833);
    expect(a[1]).toBeGreaterThanOrEqual(0.5833);
  });
});
