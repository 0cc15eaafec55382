import { APIConnectionError, APIError, APIUserAbortError } from "openai";
import { InterruptedError } from "../errors.ts";

/** How transport failures (429, 5xx, network, timeout) are retried. */
export interface RetryPolicy {
  /** Total tries of one request, the first included. */
  maxTries: number;
  /** First backoff; doubles each retry. */
  baseMs: number;
  /** Ceiling of the exponential backoff. */
  maxMs: number;
  /** Ceiling of a server's Retry-After, so a hostile or confused server cannot park the run. */
  retryAfterCapMs: number;
}

/** Defaults for a real endpoint: 5 tries, 0.5 s doubling to 20 s, Retry-After honoured up to 60 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxTries: 5, baseMs: 500, maxMs: 20_000, retryAfterCapMs: 60_000 };

/** True for failures that a later try may not repeat: 408, 409, 429, 5xx, connection errors, timeouts. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof APIUserAbortError) return false;
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

/** Delay before retry number `retry` (1-based): Retry-After if given (capped), else full-jitter exponential. */
export function backoffDelayMs(error: unknown, retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const after = retryAfterMs(error);
  if (after !== null) return Math.min(after, policy.retryAfterCapMs);
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

/** Result of a retried call: the value, or the last error once tries ran out or it was not retryable. */
export type RetryOutcome<T> = { ok: true; value: T; tries: number } | { ok: false; error: unknown; tries: number };

/** Runs `fn` until it succeeds, fails for good, or tries run out; aborting `signal` throws InterruptedError. */
export async function withRetry<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  opts: { policy: RetryPolicy; signal: AbortSignal; onRetry?: (error: unknown, delayMs: number, tries: number) => void },
): Promise<RetryOutcome<T>> {
  const { policy, signal } = opts;
  for (let tries = 1; ; tries++) {
    if (signal.aborted) throw new InterruptedError();
    try {
      return { ok: true, value: await fn(signal), tries };
    } catch (error) {
      if (signal.aborted || error instanceof APIUserAbortError) throw new InterruptedError();
      if (!isRetryable(error) || tries >= policy.maxTries) return { ok: false, error, tries };
      const delay = backoffDelayMs(error, tries, policy);
      opts.onRetry?.(error, delay, tries);
      await sleep(delay, signal);
    }
  }
}
