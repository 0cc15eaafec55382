/** Draws progress on stderr: a throttled bar on a TTY, a plain line every few seconds elsewhere. */
export class Progress {
  private last = 0;
  private readonly started = performance.now();
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly opts: { tty: boolean; quiet?: boolean; intervalMs?: number; write?: (s: string) => void },
  ) {}

  private write(s: string): void {
    (this.opts.write ?? ((t: string) => process.stderr.write(t)))(s);
  }

  update(done: number, extra = ""): void {
    if (this.opts.quiet) return;
    const now = performance.now();
    const interval = this.opts.tty ? 100 : (this.opts.intervalMs ?? 5000);
    if (now - this.last < interval && done < this.total) return;
    this.last = now;
    const rate = done / Math.max(0.001, (now - this.started) / 1000);
    if (this.opts.tty) {
      const width = 28;
      const filled = Math.min(width, Math.round((done / Math.max(1, this.total)) * width));
      this.write(`\r${this.label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${this.total} ${rate.toFixed(2)}/s ${extra}\x1b[K`);
    } else {
      this.write(`${this.label}: ${done}/${this.total} (${rate.toFixed(2)}/s) ${extra}\n`);
    }
  }

  end(): void {
    if (this.opts.tty && !this.opts.quiet) this.write("\r\x1b[K");
  }
}
