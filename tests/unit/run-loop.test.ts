import { describe, expect, test } from "bun:test";
import { maxTimeFlag } from "../../src/commands/_flags.ts";
import { InterruptedError, MaxTimeError, WorkFailedError } from "../../src/errors.ts";
import { endRun, type ItemContext, partialOf, runLoop, writesPartial } from "../../src/run/loop.ts";
import { KEPT, NO_VERDICT, type Outcome, rejected, rejectFromText, rejectText } from "../../src/run/outcome.ts";
import { etaText } from "../../src/ui/progress.ts";

const quiet = (signal = new AbortController().signal, maxTime?: { at: number; text: string }) => ({ signal, tty: false, ...(maxTime ? { maxTime } : {}) });
const base = { label: "t", words: ["kept", "rejected"] as [string, string], workers: 2 };
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
/** Resolves after `ms`, or at once with the signal's abort. */
const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

describe("run loop", () => {
  test("typed outcomes: kept, rejects by kind, no verdict counted nowhere", async () => {
    const outcomes: Outcome[] = [KEPT, rejected("timeout", "ran 60s"), NO_VERDICT, rejected("timeout"), rejected("verify-failed", "x"), KEPT];
    const r = await runLoop(quiet(), range(outcomes.length), async (i) => outcomes[i]!, { ...base, total: 6, counts: "all" });
    expect(r).toMatchObject({ kept: 2, rejected: 3, reasons: { timeout: 2, "verify-failed": 1 } });
    expect(r.stopped).toBeUndefined();
    expect(r.gaveUp).toBeUndefined();
  });

  test("keep: stops dispatching once enough are kept, counting resumed ones and those in flight", async () => {
    let started = 0;
    const r = await runLoop(
      quiet(),
      range(100),
      async () => {
        started++;
        await Bun.sleep(1);
        return KEPT;
      },
      { ...base, total: 5, counts: "ok", keep: 5, resumed: { kept: 2, rejected: 4 } },
    );
    expect(started).toBe(3);
    expect(r).toMatchObject({ kept: 5, rejected: 4 });
  });

  test("the give-up rule ends the run with its verdict and top kinds; an item's own extra rejects count", async () => {
    let seen = 0;
    const r = await runLoop(
      quiet(),
      range(100),
      async (_i, ic: ItemContext) => {
        seen++;
        ic.reject({ kind: "oversize", detail: "a variant" });
        return ic.gaveUp() ? NO_VERDICT : rejected("gate");
      },
      { ...base, workers: 1, total: 100, counts: "ok", keep: 100, giveUp: { after: 4, share: 1 } },
    );
    expect(r.gaveUp).toBe("4 rejects in a row (run.give_up_after = 4)");
    expect(seen).toBe(2);
    expect(r.reasons).toEqual({ oversize: 2, gate: 2 });
    expect(() => endRun(r, { label: "x", kept: 0, count: 100, noun: "items", rejectsHint: "h" }, undefined, true)).toThrow(
      /gave up after 4 rejects.*top reasons: (oversize 2, gate 2|gate 2, oversize 2)/,
    );
  });

  test("a signal aborts the items in flight and stops: interrupted, nothing more dispatched", async () => {
    const ac = new AbortController();
    let started = 0;
    const r = await runLoop(
      quiet(ac.signal),
      range(1000),
      async (i, ic) => {
        started++;
        if (i === 1) ac.abort(new Error("SIGINT"));
        await pause(5_000, ic.signal);
        return ic.signal.aborted ? NO_VERDICT : KEPT;
      },
      { ...base, total: 1000, counts: "all" },
    );
    expect(r.stopped).toBe("interrupted");
    expect(started).toBeLessThan(10);
    expect(r.seconds).toBeLessThan(2);
    expect(partialOf(r, undefined)).toEqual({ reason: "interrupted" });
  });

  test("max-time: the deadline aborts items in flight; what finished is kept; the run says max-time", async () => {
    const deadline = { at: Date.now() + 150, text: "150ms" };
    const r = await runLoop(
      quiet(undefined, deadline),
      range(1000),
      async (_i, ic) => {
        await pause(20, ic.signal);
        return ic.signal.aborted ? NO_VERDICT : KEPT;
      },
      { ...base, total: 1000, counts: "ok", keep: 1000 },
    );
    expect(r.stopped).toBe("max-time");
    expect(r.kept).toBeGreaterThan(2);
    expect(r.kept).toBeLessThan(1000);
    expect(r.seconds).toBeLessThan(1);
    expect(partialOf(r, deadline)).toEqual({ reason: "max-time", max_time: "150ms" });
    expect(writesPartial(r)).toBe(true);
    expect(() => endRun(r, { label: "x", kept: r.kept, count: 1000, noun: "items", rejectsHint: "" }, deadline, true)).toThrow(MaxTimeError);
  });

  test("a deadline already past stops before any item; nothing decided writes no partial set", async () => {
    let ran = 0;
    const r = await runLoop(
      quiet(undefined, { at: Date.now() - 1, text: "1s" }),
      range(10),
      async () => {
        ran++;
        return KEPT;
      },
      { ...base, total: 10, counts: "all" },
    );
    await Bun.sleep(5);
    expect(r.stopped).toBe("max-time");
    expect(ran).toBeLessThanOrEqual(2);
    expect(writesPartial({ stopped: "max-time", kept: 0, rejected: 0 })).toBe(false);
  });

  test("an item that throws InterruptedError on the stop's abort is no verdict, not a failure", async () => {
    const deadline = { at: Date.now() + 50, text: "50ms" };
    const r = await runLoop(
      quiet(undefined, deadline),
      range(4),
      async (i, ic) => {
        if (i === 0) return KEPT;
        await pause(5_000, ic.signal);
        throw new InterruptedError();
      },
      { ...base, workers: 4, total: 4, counts: "all" },
    );
    expect(r).toMatchObject({ kept: 1, rejected: 0, stopped: "max-time" });
  });

  test("a deadline past a timer's range (1000h) does not fire at once", async () => {
    const far = { at: Date.now() + 1000 * 3600_000, text: "1000h" };
    const slow = async (): Promise<Outcome> => {
      await Bun.sleep(5);
      return KEPT;
    };
    const r = await runLoop(quiet(undefined, far), range(3), slow, { ...base, workers: 1, total: 3, counts: "all" });
    expect(r.stopped).toBeUndefined();
    expect(r.kept).toBe(3);
  });

  test("a throwing item fails the run with its error", async () => {
    await expect(
      runLoop(
        quiet(),
        range(3),
        async (i) => {
          if (i === 1) throw new Error("engine gone");
          return KEPT;
        },
        { ...base, total: 3, counts: "all" },
      ),
    ).rejects.toThrow("engine gone");
  });

  test("endRun: each ending has its own error and exit code; a complete run returns", () => {
    const end = { label: "w", kept: 3, count: 3, noun: "examples", rejectsHint: "h" };
    const done = { kept: 3, rejected: 0, reasons: {}, topReasons: "", seconds: 1 };
    expect(() => endRun(done, end, undefined, true)).not.toThrow();
    expect(() => endRun({ ...done, stopped: "interrupted" }, end, undefined, true)).toThrow(InterruptedError);
    try {
      endRun({ ...done, stopped: "max-time" }, { ...end, kept: 1 }, { at: 0, text: "15m" }, true);
      throw new Error("no throw");
    } catch (error) {
      expect(error).toBeInstanceOf(MaxTimeError);
      expect((error as MaxTimeError).exitCode).toBe(75);
      expect((error as Error).message).toContain("--max-time 15m ran out: 1 examples are written as a partial set (1 of 3)");
    }
    expect(() => endRun(done, { ...end, kept: 2 }, undefined, true)).toThrow(WorkFailedError);
  });
});

describe("outcomes and durations", () => {
  test("a prose reason is read once into kind and detail, and written back the same", () => {
    expect(rejectFromText("timeout: the script ran longer than 60s")).toEqual({ kind: "timeout", detail: "the script ran longer than 60s" });
    expect(rejectFromText("interrupted")).toEqual({ kind: "interrupted", detail: "" });
    expect(rejectFromText(": odd")).toEqual({ kind: "rejected", detail: "odd" });
    expect(rejectText({ kind: "timeout", detail: "x: y" })).toBe("timeout: x: y");
  });

  test("--max-time reads 90s, 15m, 2h, 1h30m and refuses the rest naming the flag", () => {
    expect(maxTimeFlag("90s", 0)).toEqual({ at: 90_000, text: "90s" });
    expect(maxTimeFlag("15m", 0)!.at).toBe(900_000);
    expect(maxTimeFlag("2h", 0)!.at).toBe(7_200_000);
    expect(maxTimeFlag("1h30m", 0)!.at).toBe(5_400_000);
    expect(maxTimeFlag(undefined)).toBeUndefined();
    for (const bad of ["", "90", "0s", "1.5h", "15 m", "m", "30m1h", "-5s", "true"])
      expect(() => maxTimeFlag(bad), bad).toThrow("--max-time must be a duration");
  });

  test("ETA from what is left and this run's rate", () => {
    expect(etaText(10, 0)).toBe("ETA ?");
    expect(etaText(0, 1)).toBe("ETA 0s");
    expect(etaText(30, 2)).toBe("ETA 15s");
    expect(etaText(245, 1)).toBe("ETA 4m05s");
    expect(etaText(7500, 1)).toBe("ETA 2h05m");
  });
});
