/** When a generation run stops trying: after `after` rejects in a row, or a reject share over `share`. */
export interface GiveUpRule {
  /** Consecutive rejects that end the run; 0 = never. */
  after: number;
  /** Share of rejects among decided items that ends the run (checked once `after` items are decided); 1 = never. */
  share: number;
}

/**
 * Counts verdicts as they arrive and says when a run should give up, so an impossible config (every
 * example fails the same way) ends with its reasons instead of trying forever.
 */
export class GiveUp {
  private streak = 0;
  private decided = 0;
  private rejected = 0;
  private readonly reasons = new Map<string, number>();
  /** Why the run gave up, once it has. */
  verdict: string | undefined;
  constructor(private readonly rule: GiveUpRule) {}

  /** Records one verdict; `kind` is a reject's kind ("timeout", "oversize"). */
  record(ok: boolean, kind = ""): void {
    this.decided += 1;
    if (ok) {
      this.streak = 0;
      return;
    }
    this.streak += 1;
    this.rejected += 1;
    const name = kind.trim() || "rejected";
    this.reasons.set(name, (this.reasons.get(name) ?? 0) + 1);
    if (this.verdict) return;
    const { after, share } = this.rule;
    if (after > 0 && this.streak >= after) this.verdict = `${this.streak} rejects in a row (run.give_up_after = ${after})`;
    else if (share < 1 && this.decided >= Math.max(after, 1) && this.rejected / this.decided > share)
      this.verdict = `${this.rejected} of ${this.decided} rejected (run.give_up_share = ${share})`;
  }

  /** The most frequent reject kinds, most frequent first: "verify-failed 12, timeout 3". */
  topReasons(n = 3): string {
    return [...this.reasons.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
  }
}
