import { APIConnectionError, APIError, APIUserAbortError } from "openai";
import { InterruptedError } from "../errors.ts";

/** How infra failures (error statuses, replies that are no completion, network, timeout) are retried. */
export interface RetryPolicy {
  /** Total tries of one request, the first included: the endpoint's `max_attempts`. */
  maxTries: number;
  /** First backoff; doubles each retry. */
  baseMs: number;
  /** Ceiling of the exponential backoff. */
  maxMs: number;
  /**
   * Most time one request may spend waiting between its tries. A Retry-After longer than what is left of it ends
   * the retries at once: a hostile or overloaded server cannot park the run.
   */
  waitBudgetMs: number;
}

/** The fields of an endpoint that decide its retries. */
export interface RetryLimits {
  max_attempts: number;
  timeout_s: number;
}

/** Backoff for a real endpoint: 0.5 s doubling to 20 s. */
export const DEFAULT_BACKOFF = { baseMs: 500, maxMs: 20_000 } as const;

/**
 * An endpoint's policy: `max_attempts` tries; between them at most `timeout_s` of waiting in all (the longest
 * the endpoint may make one request wait is the time it may take to answer it). `backoffMs` shrinks the backoff (tests).
 */
export function retryPolicyOf(limits: RetryLimits, backoffMs?: number): RetryPolicy {
  const backoff = backoffMs === undefined ? DEFAULT_BACKOFF : { baseMs: backoffMs, maxMs: backoffMs * 16 };
  return { maxTries: Math.max(1, Math.floor(limits.max_attempts) || 1), ...backoff, waitBudgetMs: Math.max(0, limits.timeout_s * 1000) };
}

/** A 200 reply that is not a chat completion (an error body, no choices, no message, a cut body): an infra failure. */
export class BadReplyError extends Error {
  override name = "BadReplyError";
}

/** True for failures that a later try may not repeat: 408, 409, 429, 5xx, bad replies, connection errors, timeouts. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof APIUserAbortError) return false;
  if (error instanceof BadReplyError) return true;
  if (error instanceof APIConnectionError) return true; // includes APIConnectionTimeoutError
  if (error instanceof APIError) {
    const s = error.status;
    if (s === undefined) return true;
    return s === 408 || s === 409 || s === 429 || s >= 500;
  }
  return false;
}

/** The server's Retry-After (retry-after-ms, seconds or an HTTP date) in ms, when it sent one. */
export function retryAfterMs(error: unknown, now = Date.now()): number | null {
  if (!(error instanceof APIError) || !error.headers) return null;
  const ms = Number.parseFloat(error.headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = error.headers.get("retry-after");
  if (raw === null) return null;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - now) : null;
}

/** Delay before retry number `retry` (1-based) without a Retry-After: full-jitter exponential. */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (retry - 1));
  // Half fixed, half jitter: spreads concurrent callers without ever retrying instantly.
  return ceiling / 2 + random() * (ceiling / 2);
}

/** Waits `ms`, or rejects with InterruptedError as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new InterruptedError());
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new InterruptedError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Result of a retried call: the value, or the last error once tries ran out, it was not retryable, or the server
 * asked (`retryAfter`) for a longer wait than was left of the budget.
 */
export type RetryOutcome<T> =
  | { ok: true; value: T; tries: number }
  | { ok: false; error: unknown; tries: number; retryAfter?: { askedMs: number; leftMs: number; budgetMs: number } };

/** Runs `fn` until it succeeds, fails for good, or tries or the wait budget run out; aborting `signal` throws InterruptedError. */
export async function withRetry<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  opts: { policy: RetryPolicy; signal: AbortSignal; onRetry?: (error: unknown, delayMs: number, tries: number) => void },
): Promise<RetryOutcome<T>> {
  const { policy, signal } = opts;
  let waited = 0;
  for (let tries = 1; ; tries++) {
    if (signal.aborted) throw new InterruptedError();
    try {
      return { ok: true, value: await fn(signal), tries };
    } catch (error) {
      if (signal.aborted || error instanceof APIUserAbortError) throw new InterruptedError();
      if (!isRetryable(error) || tries >= policy.maxTries) return { ok: false, error, tries };
      const asked = retryAfterMs(error);
      const left = policy.waitBudgetMs - waited;
      if (asked !== null && asked > left) return { ok: false, error, tries, retryAfter: { askedMs: asked, leftMs: left, budgetMs: policy.waitBudgetMs } };
      const delay = asked ?? backoffDelayMs(tries, policy);
      waited += delay;
      opts.onRetry?.(error, delay, tries);
      await sleep(delay, signal);
    }
  }
}
