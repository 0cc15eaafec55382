/**
 * Token lengths of training lines, for a trainer's length limits (mlx-lm `--max-seq-length`, TRL `max_length`):
 * counted with the o200k_base BPE (`gpt-tokenizer`, loaded on first use), every string of the line plus a few
 * tokens per message for the chat template's markers. Another model's tokenizer differs by some tens of percent.
 */
import { streamJsonl } from "./jsonl.ts";

export const TOKEN_ENCODING = "o200k_base";
/** Tokens a chat template adds around one message (role and delimiters), an allowance. */
const PER_MESSAGE = 4;

export interface TokenLengths {
  encoding: typeof TOKEN_ENCODING;
  lines: number;
  max: number;
  p95: number;
  mean: number;
}

type Count = (text: string) => number;
let counter: Promise<Count> | undefined;

/** The tokenizer, loaded once (its tables are some megabytes: only `stats` needs them). */
export function loadTokenCounter(): Promise<Count> {
  counter ??= import("gpt-tokenizer/encoding/o200k_base").then((m) => (text: string) => m.countTokens(text));
  return counter;
}

function tokensOf(value: unknown, count: Count): number {
  if (typeof value === "string") return count(value);
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + tokensOf(v, count), 0);
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    let n = "role" in o ? PER_MESSAGE : 0;
    for (const [k, v] of Object.entries(o)) if (k !== "role" && k !== "id" && k !== "tool_call_id" && k !== "type") n += tokensOf(v, count);
    return n;
  }
  return 0;
}

/**
 * The tokens one training line puts through the model: a preference pair's prompt with the longer of its two
 * continuations; any other line (SFT `messages`, KTO `prompt` + `completion`) whole; `tools` count in both.
 */
export function lineTokens(line: unknown, count: Count): number {
  if (!line || typeof line !== "object") return tokensOf(line, count);
  const { chosen, rejected, label: _label, ...rest } = line as Record<string, unknown>;
  return tokensOf(rest, count) + Math.max(tokensOf(chosen, count), tokensOf(rejected, count));
}

/** Collects line lengths and summarises them. */
export class TokenTally {
  private lengths: number[] = [];
  private total = 0;
  add(n: number): void {
    this.lengths.push(n);
    this.total += n;
  }
  result(): TokenLengths {
    const s = this.lengths.sort((a, b) => a - b);
    const n = s.length;
    return {
      encoding: TOKEN_ENCODING,
      lines: n,
      max: n ? s[n - 1]! : 0,
      p95: n ? s[Math.min(n - 1, Math.ceil(0.95 * n) - 1)]! : 0,
      mean: n ? Math.round(this.total / n) : 0,
    };
  }
}

/** The token lengths of a JSONL file's lines, streamed. */
export async function fileTokens(file: string): Promise<TokenLengths> {
  const count = await loadTokenCounter();
  const tally = new TokenTally();
  for await (const r of streamJsonl(file)) tally.add(lineTokens(r.value, count));
  return tally.result();
}

/** One line of text: `tokens (o200k_base): max M, p95 P, mean A over N lines`. */
export function formatTokenLengths(t: TokenLengths): string {
  return `tokens (${t.encoding}, + ${PER_MESSAGE} per message): max ${t.max}, p95 ${t.p95}, mean ${t.mean} over ${t.lines} lines`;
}
