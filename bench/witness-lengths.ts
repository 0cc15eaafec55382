// How long the default witness answers are and how much of their prose repeats: renders the first N examples
// `gen` would try on this machine (same dimensions, families and order; nothing is run) and prints, per family,
// words and o200k_base tokens p50/p95/max against the family's budget, the median words overall, and the share of
// answers holding a sentence (> 12 words, prose outside code fences) found in more than 10% of the answers.
// Run: bun bench/witness-lengths.ts [N=1000] [SEED=1]
// Or, over a dataset already made (e.g. a gen run's train and valid): bun bench/witness-lengths.ts FILE.jsonl... —
// the median words and the repeated-sentence share of its answers (`sekft stats` gives the per-family lengths).
import { loadConfig } from "../src/config/load.ts";
import { loadTokenCounter } from "../src/dataset/tokens.ts";
import { createLogger } from "../src/ui/logger.ts";
import { familyShapers, renderExample } from "../src/witness/families.ts";
import { answerBudget, formatLengths, LengthTally, repeatedSentences, wordCount } from "../src/witness/lengths.ts";
import { prepareWitness } from "../src/witness/prepare.ts";
import { renderQuestion } from "../src/witness/render.ts";
import { sampleSpecs, type ExampleSpec } from "../src/witness/spec.ts";

if (process.argv[2]?.endsWith(".jsonl")) {
  const { streamJsonl } = await import("../src/dataset/jsonl.ts");
  const { percentile } = await import("../src/witness/lengths.ts");
  const answers: string[] = [];
  for (const file of process.argv.slice(2))
    for await (const r of streamJsonl(file))
      answers.push((r.value as { messages: { role: string; content: string }[] }).messages.find((m) => m.role === "assistant")!.content);
  const words = answers.map(wordCount).sort((a, b) => a - b);
  console.log(`${answers.length} answers: median words ${percentile(words, 0.5)}, p95 ${percentile(words, 0.95)}, max ${words.at(-1)}`);
  const r = repeatedSentences(answers);
  console.log(`answers holding a sentence (> 12 words) found in more than ${r.threshold * 100}% of answers: ${(r.share * 100).toFixed(1)}%`);
  for (const s of r.top.slice(0, 5))
    console.log(`  ${(s.share * 100).toFixed(1).padStart(5)}%  ${s.sentence.length > 160 ? `${s.sentence.slice(0, 157)}...` : s.sentence}`);
  process.exit(0);
}
const n = Number(process.argv[2] ?? 1000);
const seed = Number(process.argv[3] ?? 1);
const config = loadConfig(undefined);
const ctx = { config, log: createLogger({ quiet: true }), signal: new AbortController().signal, env: process.env, verbose: false, tty: false };
const setup = await prepareWitness(ctx);
const w = config.witness;
const count = await loadTokenCounter();
const tally = new LengthTally();
const answers: string[] = [];
const t = performance.now();
const questionOf = (s: ExampleSpec): string => (s.family && s.family !== "attest" ? renderExample(s, w, setup.catalog).question : renderQuestion(s, w));
for (const { spec } of sampleSpecs(setup.dims, seed, questionOf, familyShapers(w))) {
  const { answer } = renderExample(spec, w, setup.catalog);
  tally.add(spec.family ?? "attest", count(answer), wordCount(answer));
  answers.push(answer);
  if (answers.length >= n) break;
}
const seconds = (performance.now() - t) / 1000;
const lengths = tally.result();
console.log(`rendered ${answers.length} answers of the default stream (seed ${seed}) in ${seconds.toFixed(1)} s; tokens are o200k_base`);
const lines = formatLengths(lengths);
Object.keys(lengths).forEach((f, i) => {
  const over = f === "all" ? "" : `  (budget ${answerBudget(w, f)})`;
  console.log(`${lines[i]}${over}`);
});
console.log(`median words overall: ${lengths.all?.words.p50 ?? 0}`);
const r = repeatedSentences(answers);
console.log(`answers holding a sentence (> 12 words) found in more than ${r.threshold * 100}% of answers: ${(r.share * 100).toFixed(1)}%`);
console.log("most repeated sentences (share of answers):");
for (const s of r.top) console.log(`  ${(s.share * 100).toFixed(1).padStart(5)}%  ${s.sentence.length > 160 ? `${s.sentence.slice(0, 157)}...` : s.sentence}`);
