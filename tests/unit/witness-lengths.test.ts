import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { sha256 } from "../../src/dataset/hash.ts";
import { loadTokenCounter } from "../../src/dataset/tokens.ts";
import { answerBudget, longSentences, overBudget, percentile, repeatedSentences } from "../../src/witness/lengths.ts";
import { datasetStats, formatStats } from "../../src/witness/stats.ts";

/** An answer of exactly `k` o200k_base tokens and `k` words. */
const answer = (k: number): string => `hello${" hello".repeat(k - 1)}`;
const spec = (family: string) => ({ step: "build", command: "go build", attestors: [], rules: [], keys: { step: "ed25519" }, question: 0, family });

function fixture(rows: { family: string; tokens: number }[], metaSha = (a: string) => sha256(a)): string {
  const dir = mkdtempSync(join(tmpdir(), "sekft-lengths-"));
  const line = (a: string) =>
    JSON.stringify({
      messages: [
        { role: "system", content: "s" },
        { role: "user", content: "q" },
        { role: "assistant", content: a },
      ],
    });
  writeFileSync(join(dir, "train.jsonl"), `${rows.map((r) => line(answer(r.tokens))).join("\n")}\n`);
  const meta = rows.map((r, i) =>
    JSON.stringify({ id: `e${i}`, index: i, split: "train", spec: spec(r.family), family: r.family, answer_sha256: metaSha(answer(r.tokens)) }),
  );
  writeFileSync(join(dir, "meta.jsonl"), `${meta.join("\n")}\n`);
  return dir;
}

test("stats reports answer tokens and words per family, p50/p95/max, joined to meta by answer digest", async () => {
  const rows = [
    ...[10, 20, 30, 40].map((tokens) => ({ family: "attest", tokens })),
    ...Array.from({ length: 20 }, (_, i) => ({ family: "pipeline", tokens: 100 + i })),
  ];
  const dir = fixture(rows);
  try {
    const s = await datasetStats(join(dir, "train.jsonl"), { countTokens: await loadTokenCounter() });
    expect(s.answer_lengths!.attest).toEqual({ answers: 4, tokens: { p50: 20, p95: 40, max: 40 }, words: { p50: 20, p95: 40, max: 40 } });
    // Nearest rank: p95 of 20 values is the 19th.
    expect(s.answer_lengths!.pipeline!.tokens).toEqual({ p50: 109, p95: 118, max: 119 });
    expect(s.answer_lengths!.all).toMatchObject({ answers: 24, tokens: { max: 119 } });
    expect(Object.keys(s.answer_lengths!)).toEqual(["all", "attest", "pipeline"]);
    const text = formatStats(s);
    expect(text).toContain("answer lengths in o200k_base tokens and words, per family:");
    expect(text).toMatch(/pipeline +20 answers: tokens p50 109, p95 118, max 119; words p50 109, p95 118, max 119/);
    // Without a counter (the view's overview), nothing is tokenized.
    expect((await datasetStats(join(dir, "train.jsonl"))).answer_lengths).toBeUndefined();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a meta record whose answer digest does not match its line leaves the families out, not misattributed", async () => {
  const dir = fixture(
    [
      { family: "attest", tokens: 5 },
      { family: "policy", tokens: 7 },
    ],
    (a) => sha256(`${a}!`),
  );
  try {
    const s = await datasetStats(join(dir, "train.jsonl"), { countTokens: await loadTokenCounter() });
    expect(Object.keys(s.answer_lengths!)).toEqual(["all"]);
    expect(s.answer_lengths!.all!.tokens).toEqual({ p50: 5, p95: 7, max: 7 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a family's budget narrows the global one, never widens it; the over-budget reason names tokens, budget and family", () => {
  const w = loadConfig(undefined).witness;
  expect(answerBudget(w, "attest")).toBe(w.families.attest.max_answer_tokens!);
  expect(w.families.pipeline!.max_answer_tokens).toBeUndefined();
  expect(answerBudget(w, "pipeline")).toBe(w.max_answer_tokens);
  const withAttest = (n: number) => ({ ...w, max_answer_tokens: 1000, families: { ...w.families, attest: { ...w.families.attest, max_answer_tokens: n } } });
  expect(answerBudget(withAttest(99), "attest")).toBe(99);
  expect(answerBudget(withAttest(5000), "attest")).toBe(1000);
  expect(overBudget(100, 100, "attest")).toBeUndefined();
  expect(overBudget(101, 100, "inspect")).toBe("answer 101 tokens > budget 100 (family inspect)");
});

test("percentile is nearest rank", () => {
  expect(percentile([], 0.5)).toBe(0);
  expect(percentile([3], 0.95)).toBe(3);
  expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
});

test("repeated sentences: long prose sentences outside code fences, counted once per answer", () => {
  const common = "Keys and attestations stay outside the working directory so they never show up as products";
  const code = "```sh\nthis line of code has many many many words in it and is never counted at all ok\n```";
  const a = `${common}. Short one.\n\n${code}\n\n${common}.`;
  expect([...longSentences(a)]).toEqual([common]);
  const unique = (i: number) => `Answer number ${i} explains a different thing with its own words in a sentence that is long`;
  const answers = [a, a, ...Array.from({ length: 18 }, (_, i) => unique(i))];
  const r = repeatedSentences(answers);
  // Two of twenty answers hold `common` (10%): not more than 10%, so no answer counts.
  expect(r.share).toBe(0);
  expect(r.top[0]).toEqual({ sentence: common, share: 0.1 });
  const r3 = repeatedSentences([a, ...answers]);
  expect(r3.share).toBeCloseTo(3 / 21, 10);
  // Code-only repetition never counts.
  expect(repeatedSentences([code, code, code]).share).toBe(0);
});
