import type { PoolEvent } from "../pool/pool.ts";

/** What a pool job reports to the renderer: a success (kept, passed) or not (rejected, failed); undefined = no verdict. */
export type Tally = { ok: boolean } | undefined;

export interface ProgressOptions {
  tty: boolean;
  /** Draw nothing (e.g. `--json` without a terminal). */
  quiet?: boolean;
  intervalMs?: number;
  write?: (s: string) => void;
  /** Words for the two verdicts, e.g. ["kept", "rejected"] or ["passed", "failed"]. */
  words?: [string, string];
}

/**
 * The one progress renderer, fed by the pool's events: a throttled bar on a TTY, a plain line every few
 * seconds elsewhere. `total` counts successes for generation (kept/asked) and verdicts for checks.
 */
export class Progress {
  private ok = 0;
  private notOk = 0;
  /** What a previous run decided: left out of the rate, which measures this run. */
  private base = 0;
  private last = 0;
  private readonly started = performance.now();
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly opts: ProgressOptions,
    /** How far the bar is: successes (generation) or every verdict (checks). */
    private readonly counts: "ok" | "all" = "all",
  ) {}

  /** Starts from work a previous run already decided (a resumed journal). */
  resume(ok: number, notOk: number): void {
    this.ok = ok;
    this.notOk = notOk;
    this.base = this.counts === "ok" ? ok : ok + notOk;
  }

  /** Pass this as the pool's `onEvent`. */
  readonly onEvent = (event: PoolEvent<Tally>): void => {
    if (event.type !== "done" || !event.result) return;
    if (event.result.ok) this.ok++;
    else this.notOk++;
    this.draw();
  };

  private draw(): void {
    if (this.opts.quiet) return;
    const done = this.counts === "ok" ? this.ok : this.ok + this.notOk;
    const now = performance.now();
    const interval = this.opts.tty ? 100 : (this.opts.intervalMs ?? 5000);
    if (now - this.last < interval && done < this.total) return;
    this.last = now;
    const rate = (done - this.base) / Math.max(0.001, (now - this.started) / 1000);
    const eta = etaText(this.total - done, rate);
    const [yes, no] = this.opts.words ?? ["ok", "failed"];
    const extra = this.counts === "ok" ? (this.notOk ? `(${this.notOk} ${no})` : "") : `(${this.ok} ${yes}, ${this.notOk} ${no})`;
    const write = this.opts.write ?? ((t: string) => process.stderr.write(t));
    if (this.opts.tty) {
      const width = 28;
      const filled = Math.min(width, Math.round((done / Math.max(1, this.total)) * width));
      write(`\r${this.label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${this.total} ${rate.toFixed(2)}/s ${eta} ${extra}\x1b[K`);
    } else {
      write(`${this.label}: ${done}/${this.total} (${rate.toFixed(2)}/s, ${eta}) ${extra}\n`);
    }
  }

  /** Clears the bar line on a TTY. */
  end(): void {
    if (this.opts.tty && !this.opts.quiet) (this.opts.write ?? ((t: string) => process.stderr.write(t)))("\r\x1b[K");
  }
}

/** "ETA 4m05s" from what is left and this run's rate; "ETA ?" before the first item is done. */
export function etaText(left: number, ratePerSecond: number): string {
  if (left <= 0) return "ETA 0s";
  if (!(ratePerSecond > 0)) return "ETA ?";
  const s = Math.ceil(left / ratePerSecond);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number): string => String(n).padStart(2, "0");
  return h > 0 ? `ETA ${h}h${two(m)}m` : m > 0 ? `ETA ${m}m${two(sec)}s` : `ETA ${sec}s`;
}
