/** Events a pool emits; the UI layer turns them into a bar or periodic lines. */
export type PoolEvent<R> = { type: "start"; inFlight: number } | { type: "done"; result: R; inFlight: number };

export interface PoolOptions<R> {
  workers: number;
  signal?: AbortSignal;
  onEvent?: (event: PoolEvent<R>) => void;
  /** Asked before each new job: false stops dispatching (jobs in flight still finish). */
  more?: (inFlight: number) => boolean;
}

/**
 * Runs `work` over items with at most `workers` in flight, keeping every worker busy. Items are pulled
 * lazily, so an endless generator is fine when `more` bounds it.
 */
export async function runPool<T, R>(items: Iterable<T> | AsyncIterable<T>, work: (item: T) => Promise<R>, opts: PoolOptions<R>): Promise<void> {
  const it = (Symbol.asyncIterator in items ? (items as AsyncIterable<T>)[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]()) as
    | Iterator<T>
    | AsyncIterator<T>;
  let inFlight = 0;
  let exhausted = false;
  let failure: unknown;
  const running = new Set<Promise<void>>();
  const next = async (): Promise<IteratorResult<T> | undefined> => {
    if (exhausted || opts.signal?.aborted || failure) return undefined;
    if (opts.more && !opts.more(inFlight)) return undefined;
    const r = await it.next();
    if (r.done) {
      exhausted = true;
      return undefined;
    }
    return r;
  };
  const launch = async (): Promise<boolean> => {
    const r = await next();
    if (!r) return false;
    inFlight += 1;
    opts.onEvent?.({ type: "start", inFlight });
    const p: Promise<void> = work(r.value)
      .then((result) => {
        inFlight -= 1;
        opts.onEvent?.({ type: "done", result, inFlight });
      })
      .catch((error: unknown) => {
        inFlight -= 1;
        failure ??= error;
      })
      .finally(() => running.delete(p));
    running.add(p);
    return true;
  };
  for (let i = 0; i < Math.max(1, opts.workers); i++) if (!(await launch())) break;
  while (running.size) {
    await Promise.race(running);
    while (running.size < Math.max(1, opts.workers) && (await launch()));
  }
  if (failure) throw failure;
}
