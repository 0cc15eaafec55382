/** Tokens one request cost, as the server reported them. */
export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** One model request in the ledger. */
export interface LedgerEntry extends TokenUsage {
  /** What the tokens were spent on, e.g. a cell key or bundle id. */
  label: string;
  model: string;
  /** Wall clock of the call in seconds, retries included. */
  seconds: number;
}

/** Usage with zero tokens, the start of a sum. */
export function zeroUsage(): TokenUsage {
  return { prompt_tokens: 0, completion_tokens: 0 };
}

/** Sums two usages; missing or non-numeric counts (servers that omit usage) count as zero. */
export function addUsage(a: TokenUsage, b: Partial<TokenUsage> | null | undefined): TokenUsage {
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : 0);
  return { prompt_tokens: a.prompt_tokens + n(b?.prompt_tokens), completion_tokens: a.completion_tokens + n(b?.completion_tokens) };
}

/** Records every request's usage for a run; totals feed the manifest and the summary line. */
export class TokenLedger {
  readonly entries: LedgerEntry[] = [];

  /** Adds one request's usage. */
  record(entry: LedgerEntry): void {
    const seconds = Number.isFinite(entry.seconds) && entry.seconds > 0 ? entry.seconds : 0;
    this.entries.push({ ...entry, ...addUsage(zeroUsage(), entry), seconds });
  }

  /** Sum over all requests, with the request count and the seconds spent waiting on the model. */
  totals(): TokenUsage & { requests: number; total_tokens: number; seconds: number } {
    const sum = this.entries.reduce<TokenUsage>((acc, e) => addUsage(acc, e), zeroUsage());
    const seconds = Math.round(this.entries.reduce((acc, e) => acc + e.seconds, 0) * 1000) / 1000;
    return { ...sum, total_tokens: sum.prompt_tokens + sum.completion_tokens, requests: this.entries.length, seconds };
  }
}

/** The summary's words for a run's model spend: tokens, requests, and seconds in all and per request. */
export function modelSpend(t: ReturnType<TokenLedger["totals"]>): string {
  const per = t.requests ? t.seconds / t.requests : 0;
  return `${t.total_tokens} tokens (${t.prompt_tokens} prompt, ${t.completion_tokens} completion) in ${t.requests} requests, ${t.seconds.toFixed(1)}s waiting on the model (${per.toFixed(2)}s per request)`;
}
