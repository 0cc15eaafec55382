import { UsageError } from "../errors.ts";
import { Rng } from "../rng.ts";

/**
 * The unbiased pass@k estimator of Chen et al. (2021) for one question: 1 − C(n−c, k) / C(n, k), with n
 * answers of which c passed. Computed as a running product, so large n never overflows.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 0 || c < 0 || c > n || k < 1)
    throw new UsageError(`pass@k needs integers 0 ≤ c ≤ n and k ≥ 1; got n=${n}, c=${c}, k=${k}`);
  if (k > n) throw new UsageError(`pass@${k} needs at least ${k} answers per question; got ${n}`);
  if (n - c < k) return 1;
  let fail = 1;
  for (let i = n - c + 1; i <= n; i++) fail *= 1 - k / i;
  return 1 - fail;
}

/** A 95% interval: lower and upper bound. */
export type Interval = [number, number];

/** The Wilson score interval of a proportion (successes of n trials), 95% by default; [0, 1] when n is 0. */
export function wilson(successes: number, n: number, z = 1.959963984540054): Interval {
  if (n === 0) return [0, 1];
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At 0 or n successes the bound is exactly 0 or 1 (rounding would otherwise leave 0.9999999999999999).
  return [successes === 0 ? 0 : Math.max(0, centre - half), successes === n ? 1 : Math.min(1, centre + half)];
}

/** A 95% percentile-bootstrap interval of a mean over items (questions), resampled `rounds` times with a seeded RNG. */
export function bootstrapMean(values: number[], seed: number | string, rounds = 1000): Interval {
  if (values.length === 0) return [0, 1];
  const rng = new Rng(seed);
  const means: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[Math.floor(rng.next() * values.length)]!;
    means.push(sum / values.length);
  }
  means.sort((a, b) => a - b);
  return [means[Math.floor(0.025 * (rounds - 1))]!, means[Math.ceil(0.975 * (rounds - 1))]!];
}

/** One question's scored answers. */
export interface QuestionScore {
  /** Answers scored (infra errors are not). */
  n: number;
  /** Answers that passed. */
  c: number;
}

/** pass@1 and pass@k of a group of questions, with their intervals and how they were made. */
export interface GroupScore {
  questions: number;
  answers: number;
  passed: number;
  pass_at_1: number;
  /** Wilson 95% over the group's answers. */
  pass_at_1_ci: Interval;
  /** Null when no question has k scored answers. */
  pass_at_k: number | null;
  /** Percentile bootstrap 95% over the group's questions. */
  pass_at_k_ci: Interval | null;
}

/** Scores a group: pass@1 is the mean of c/n per question; pass@k the mean of the estimator over questions with n ≥ k. */
export function scoreGroup(questions: QuestionScore[], k: number, seed: number | string): GroupScore {
  const scored = questions.filter((q) => q.n > 0);
  const answers = scored.reduce((s, q) => s + q.n, 0);
  const passed = scored.reduce((s, q) => s + q.c, 0);
  const p1 = scored.map((q) => q.c / q.n);
  const pk = scored.filter((q) => q.n >= k).map((q) => passAtK(q.n, q.c, k));
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return {
    questions: scored.length,
    answers,
    passed,
    pass_at_1: p1.length ? mean(p1) : 0,
    pass_at_1_ci: wilson(passed, answers),
    pass_at_k: pk.length ? mean(pk) : null,
    pass_at_k_ci: pk.length ? bootstrapMean(pk, seed) : null,
  };
}
