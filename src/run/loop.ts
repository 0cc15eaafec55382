import type { MaxTime, RunContext } from "../context.ts";
import { InterruptedError, MaxTimeError, type SekftError, WorkFailedError } from "../errors.ts";
import { GiveUp, type GiveUpRule } from "../pool/give-up.ts";
import { runPool } from "../pool/pool.ts";
import { printable } from "../ui/format.ts";
import { Progress, type Tally } from "../ui/progress.ts";
import type { Outcome, Reject } from "./outcome.ts";

// setTimeout's largest delay; a longer one fires at once.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Why a run stopped before its work was done: its `--max-time` ran out, or a signal interrupted it. */
export type StopReason = "max-time" | "interrupted";

/** What one item's work is handed: the run's signal (aborted on a signal or at max-time) and a way to count a reject on the way. */
export interface ItemContext {
  readonly signal: AbortSignal;
  /** Counts a reject an item met before its own outcome (a builtin cell's failed variant): reasons and the give-up rule see it. */
  reject(reject: Reject): void;
  /** True once the give-up rule has ended the run: an item's further attempts are pointless. */
  gaveUp(): boolean;
}

export interface LoopOptions {
  /** The progress line's label, e.g. "witness" or "rollout perturb". */
  label: string;
  /** Words for a kept and a not-kept item, e.g. ["kept", "rejected"]. */
  words: [string, string];
  /** The progress bar's whole: items to keep (generation, `counts: "ok"`) or items to decide (`"all"`). */
  total: number;
  counts: "ok" | "all";
  /** Stop dispatching once this many are kept, counting those in flight (generation); absent: every item runs. */
  keep?: number;
  /** Verdicts an earlier run already decided (a resumed journal): the bar and `keep` start from them. */
  resumed?: { kept: number; rejected: number };
  workers: number;
  /** Ends the run on too many rejects; absent: never. */
  giveUp?: GiveUpRule;
}

export interface LoopResult {
  /** Kept and rejected in this run and the resumed ones. */
  kept: number;
  rejected: number;
  /** Rejects of this run by kind. */
  reasons: Record<string, number>;
  /** Set when the run stopped early: the items decided so far are what there is. */
  stopped?: StopReason;
  /** Why the give-up rule ended the run, when it did. */
  gaveUp?: string;
  /** The most frequent reject kinds, "timeout 3, verify-failed 1". */
  topReasons: string;
  seconds: number;
}

/** What a manifest records of a run that stopped early (absent for a complete one). */
export interface PartialRun {
  reason: StopReason;
  /** The `--max-time` given, for a run it stopped. */
  max_time?: string;
}

/**
 * The one run loop every track's work goes through: the items (resumed ones already left out) run on the pool,
 * each returning a typed `Outcome`; it counts verdicts and reject kinds, applies the give-up rule, draws
 * progress with an ETA, and stops on a signal or when `ctx.maxTime` runs out — in-flight items see the abort
 * on the signal they are handed and return no verdict. The caller then writes its outputs (a partial set
 * when `stopped`) and calls `endRun`.
 */
export async function runLoop<T>(
  ctx: Pick<RunContext, "signal" | "tty" | "maxTime">,
  items: Iterable<T> | AsyncIterable<T>,
  work: (item: T, ic: ItemContext) => Promise<Outcome>,
  opts: LoopOptions,
): Promise<LoopResult> {
  const started = performance.now();
  const stop = new AbortController();
  let timedOut = false;
  const onAbort = (): void => stop.abort(ctx.signal.reason);
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener("abort", onAbort, { once: true });
  const expire = (): void => {
    timedOut = !ctx.signal.aborted;
    stop.abort(new Error(`--max-time ${ctx.maxTime!.text} ran out`));
  };
  // A deadline already past (the set-up took it all) stops before any item is dispatched; one past a timer's
  // range (about 24.8 days) is reached in steps.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (at: number): void => {
    const left = at - Date.now();
    if (left <= 0) expire();
    else timer = setTimeout(() => arm(at), Math.min(left, MAX_TIMER_MS));
  };
  if (ctx.maxTime) arm(ctx.maxTime.at);
  const giveUp = opts.giveUp ? new GiveUp(opts.giveUp) : undefined;
  let kept = opts.resumed?.kept ?? 0;
  let rejected = opts.resumed?.rejected ?? 0;
  const reasons: Record<string, number> = {};
  const countReject = (r: Reject): void => {
    rejected += 1;
    reasons[r.kind] = (reasons[r.kind] ?? 0) + 1;
    giveUp?.record(false, r.kind);
  };
  const progress = new Progress(opts.label, opts.total, { tty: ctx.tty, words: opts.words }, opts.counts);
  if (opts.resumed) progress.resume(opts.resumed.kept, opts.resumed.rejected);
  const ic: ItemContext = {
    signal: stop.signal,
    // Intermediate rejects are counted but drawn only through the item's own outcome.
    reject: countReject,
    gaveUp: () => Boolean(giveUp?.verdict),
  };
  try {
    await runPool(
      items,
      async (item): Promise<Tally> => {
        let outcome: Outcome;
        try {
          outcome = await work(item, ic);
        } catch (error) {
          // An item cut short by the stop (its engine or client threw on the abort) is no verdict; any other error fails the run.
          if (stop.signal.aborted && error instanceof InterruptedError) return undefined;
          throw error;
        }
        if (outcome.kind === "none") return undefined;
        if (outcome.kind === "kept") {
          kept += 1;
          giveUp?.record(true);
          return { ok: true };
        }
        countReject(outcome.reject);
        return { ok: false };
      },
      {
        workers: opts.workers,
        signal: stop.signal,
        onEvent: progress.onEvent,
        more: (inFlight) => !giveUp?.verdict && (opts.keep === undefined || kept + inFlight < opts.keep),
      },
    );
  } finally {
    progress.end();
    clearTimeout(timer);
    ctx.signal.removeEventListener("abort", onAbort);
  }
  const stopped: StopReason | undefined = ctx.signal.aborted ? "interrupted" : timedOut ? "max-time" : undefined;
  return {
    kept,
    rejected,
    reasons,
    ...(stopped ? { stopped } : {}),
    ...(giveUp?.verdict ? { gaveUp: giveUp.verdict } : {}),
    topReasons: giveUp?.topReasons() ?? "",
    seconds: (performance.now() - started) / 1000,
  };
}

/** The manifest's `partial` field for a run that stopped early; undefined for a complete one. */
export function partialOf(result: Pick<LoopResult, "stopped">, maxTime: MaxTime | undefined): PartialRun | undefined {
  if (!result.stopped) return undefined;
  return { reason: result.stopped, ...(result.stopped === "max-time" && maxTime ? { max_time: maxTime.text } : {}) };
}

/** A run that stopped early writes a partial set only when it decided something: an empty one would train nothing. */
export function writesPartial(result: Pick<LoopResult, "stopped" | "kept" | "rejected">): boolean {
  return !result.stopped || result.kept + result.rejected > 0;
}

export interface EndOfRun {
  /** "witness: " — the start of every message. */
  label: string;
  /** Items kept in the outputs, and asked for. */
  kept: number;
  count: number;
  /** What was written ("examples", "bundles") and where to look for rejects. */
  noun: string;
  rejectsHint: string;
  /** Tells an "only N of M" message what failed to pass (default "could be verified"). */
  shortfall?: string;
  /** Appended to a give-up or shortfall message (the teacher's last failure). */
  note?: string;
}

/**
 * How a run ends once its outputs are written: interrupted → InterruptedError (the signal's exit code), max-time
 * → MaxTimeError (exit 75), the give-up rule → WorkFailedError with the top reasons, fewer kept than asked →
 * WorkFailedError. A complete run returns.
 */
export function endRun(result: LoopResult, end: EndOfRun, maxTime: MaxTime | undefined, wrote: boolean): void {
  if (result.stopped)
    throw stopError(
      result.stopped,
      wrote ? `${end.kept} ${end.noun} are written as a partial set` : "nothing was decided yet",
      maxTime,
      `${end.kept} of ${end.count}`,
    );
  if (result.gaveUp)
    throw new WorkFailedError(
      `${end.label}: gave up after ${result.gaveUp}: kept ${end.kept} of ${end.count}; top reasons: ${printable(result.topReasons)}${end.note ?? ""}`,
      end.rejectsHint,
    );
  if (end.kept < end.count)
    throw new WorkFailedError(
      `${end.label}: only ${end.kept} of ${end.count} ${end.noun} ${end.shortfall ?? "could be verified"}${end.note ?? ""}`,
      end.rejectsHint,
    );
}

/** The error a stopped run ends with, after its partial outputs are written: `saved` says what they hold, `of` how far ("3 of 10"). */
export function stopError(reason: StopReason, saved: string, maxTime: MaxTime | undefined, of: string): SekftError {
  if (reason === "interrupted") return new InterruptedError(`interrupted: ${saved}; run the same command again to resume`);
  return new MaxTimeError(`--max-time ${maxTime?.text ?? ""} ran out: ${saved} (${of})`, "Run the same command again to resume.");
}
