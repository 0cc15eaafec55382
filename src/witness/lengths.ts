/**
 * How long witness answers are, per family, and how much of their prose repeats across answers: what `stats`
 * reports and `gen`'s budget (`witness.max_answer_tokens`) is measured in. Tokens are o200k_base
 * (`dataset/tokens.ts`); words are runs of non-space characters, code included.
 */
import type { WitnessConfig } from "../config/witness-schema.ts";

/** p50/p95/max of one measure. */
export interface Spread {
  p50: number;
  p95: number;
  max: number;
}

/** Lengths of the answers of one family (or of all, under `all`). */
export interface FamilyLengths {
  answers: number;
  tokens: Spread;
  words: Spread;
}

/** Words of a text: runs of non-space characters. */
export function wordCount(text: string): number {
  let n = 0;
  for (const _ of text.matchAll(/\S+/g)) n += 1;
  return n;
}

/** Nearest-rank percentile of ascending values (`q` in 0..1); 0 for none. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  return n ? sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]! : 0;
}

function spread(values: number[]): Spread {
  const s = Float64Array.from(values).sort();
  return { p50: percentile(s, 0.5), p95: percentile(s, 0.95), max: s.length ? s[s.length - 1]! : 0 };
}

/** Collects (family, tokens, words) per answer and summarises them per family and over all. */
export class LengthTally {
  private readonly by = new Map<string, { tokens: number[]; words: number[] }>();
  /** Counts one answer under `all` and, when known, its family. */
  add(family: string | undefined, tokens: number, words: number): void {
    for (const key of family === undefined ? ["all"] : ["all", family]) {
      let e = this.by.get(key);
      if (!e) this.by.set(key, (e = { tokens: [], words: [] }));
      e.tokens.push(tokens);
      e.words.push(words);
    }
  }
  /** `all` first, then the families by name. */
  result(): Record<string, FamilyLengths> {
    const keys = [...this.by.keys()].filter((k) => k !== "all").sort();
    const out: Record<string, FamilyLengths> = {};
    for (const k of this.by.has("all") ? ["all", ...keys] : keys) {
      const e = this.by.get(k)!;
      out[k] = { answers: e.tokens.length, tokens: spread(e.tokens), words: spread(e.words) };
    }
    return out;
  }
}

/**
 * The token budget of a family's answers: `witness.max_answer_tokens` bounds every answer, and a family's own
 * `max_answer_tokens` may narrow it (never widen it: lowering the global budget lowers every family's).
 */
export function answerBudget(w: WitnessConfig, family: string): number {
  const own = (w.families as Record<string, { max_answer_tokens?: number } | undefined>)[family]?.max_answer_tokens;
  return Math.min(own ?? w.max_answer_tokens, w.max_answer_tokens);
}

/** Why an answer is over its budget ("answer N tokens > budget M (family F)"), or undefined when it fits. */
export function overBudget(tokens: number, budget: number, family: string): string | undefined {
  return tokens > budget ? `answer ${tokens} tokens > budget ${budget} (family ${family})` : undefined;
}

/** A text's lines outside fenced code blocks (``` or ~~~, closed by the same run), joined. */
export function proseOf(markdown: string): string {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split("\n")) {
    const m = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (m && m[1]![0] === fence[0] && m[1]!.length >= fence.length && line.trim() === m[1]) fence = undefined;
    } else if (m) fence = m[1];
    else out.push(line);
  }
  return out.join("\n");
}

/**
 * Sentences of more than `minWords` words in an answer's prose: split on ". " and line breaks, spaces squeezed. A
 * section's leading bold heading (`**Key ID.**`) is a unit of its own, not part of the sentence after it: a
 * two-word label is no sentence, and gluing it on would count the label's words towards the sentence's length.
 */
export function longSentences(answer: string, minWords = 12): Set<string> {
  const out = new Set<string>();
  const headed = proseOf(answer).replace(/(^|\n)(\*\*[^*\n]+?\.\*\*)[ \t]+/g, "$1$2\n");
  for (const raw of headed.split(/\.\s+|\n/)) {
    const s = raw.trim().replace(/\s+/g, " ").replace(/\.$/, "");
    if (wordCount(s) > minWords) out.add(s);
  }
  return out;
}

export interface RepeatedSentences {
  answers: number;
  /** Share of answers holding at least one sentence that occurs in more than `threshold` of the answers. */
  share: number;
  threshold: number;
  top: { sentence: string; share: number }[];
}

/** Sentences (> 12 words) repeated across answers: the share of answers holding one found in over `threshold` of them. */
export function repeatedSentences(answers: Iterable<string>, threshold = 0.1, top = 10): RepeatedSentences {
  const counts = new Map<string, number>();
  const per: Set<string>[] = [];
  for (const a of answers) {
    const s = longSentences(a);
    per.push(s);
    for (const x of s) counts.set(x, (counts.get(x) ?? 0) + 1);
  }
  const n = per.length;
  const limit = threshold * n;
  const withRepeat = per.filter((s) => [...s].some((x) => counts.get(x)! > limit)).length;
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, top);
  return {
    answers: n,
    share: n ? withRepeat / n : 0,
    threshold,
    top: ranked.map(([sentence, c]) => ({ sentence, share: c / n })),
  };
}

/** One line per family: `family N answers: tokens p50/p95/max a/b/c, words p50/p95/max x/y/z`. */
export function formatLengths(lengths: Record<string, FamilyLengths>): string[] {
  return Object.entries(lengths).map(
    ([f, l]) =>
      `  ${f.padEnd(13)} ${String(l.answers).padStart(6)} answers: tokens p50 ${l.tokens.p50}, p95 ${l.tokens.p95}, max ${l.tokens.max}; ` +
      `words p50 ${l.words.p50}, p95 ${l.words.p95}, max ${l.words.max}`,
  );
}
