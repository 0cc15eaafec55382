import { InterruptedError } from "../errors.ts";

/** A counting semaphore: at most `size` tasks run at once, the rest wait in arrival order. */
export interface Limiter {
  readonly size: number;
  /** Tasks running now. */
  readonly active: number;
  /** Tasks waiting for a slot. */
  readonly pending: number;
  /** Runs `task` when a slot is free; a waiter whose signal aborts leaves the queue with InterruptedError. */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}

/** Creates a limiter shared by every model call of a run, so `concurrency` bounds the whole run. */
export function createLimiter(size: number): Limiter {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`limiter size must be a positive integer, got ${size}`);
  let active = 0;
  const waiters: Array<() => void> = [];

  const acquire = (signal?: AbortSignal): Promise<void> => {
    if (signal?.aborted) return Promise.reject(new InterruptedError());
    if (active < size) {
      active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        active++;
        resolve();
      };
      const onAbort = () => {
        const i = waiters.indexOf(grant);
        if (i >= 0) waiters.splice(i, 1);
        reject(new InterruptedError());
      };
      waiters.push(grant);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  };

  const release = () => {
    active--;
    waiters.shift()?.();
  };

  return {
    size,
    get active() {
      return active;
    },
    get pending() {
      return waiters.length;
    },
    async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      await acquire(signal);
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
