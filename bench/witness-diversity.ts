// How diverse the default witness stream is: renders the first N examples `gen` would try on this machine
// (same dimensions, families and order; nothing is run, so a reject would be replaced by a later spec) and
// prints `stats` over them: families, distinct answer skeletons, unique question+skeleton share.
// Run: bun bench/witness-diversity.ts [N=1000] [SEED=1]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config/load.ts";
import { createLogger } from "../src/ui/logger.ts";
import { familyShapers } from "../src/witness/families.ts";
import { prepareWitness } from "../src/witness/prepare.ts";
import { renderQuestion } from "../src/witness/render.ts";
import { renderExample } from "../src/witness/families.ts";
import { sampleSpecs, type ExampleSpec } from "../src/witness/spec.ts";
import { datasetStats } from "../src/witness/stats.ts";

const n = Number(process.argv[2] ?? 1000);
const seed = Number(process.argv[3] ?? 1);
const config = loadConfig(undefined);
const ctx = { config, log: createLogger({ quiet: true }), signal: new AbortController().signal, env: process.env, verbose: false, tty: false };
const setup = await prepareWitness(ctx);
const w = config.witness;
const rows: string[] = [];
const families: Record<string, number> = {};
const t = performance.now();
const questionOf = (s: ExampleSpec): string => (s.family && s.family !== "attest" ? renderExample(s, w, setup.catalog).question : renderQuestion(s, w));
for (const { spec } of sampleSpecs(setup.dims, seed, questionOf, familyShapers(w))) {
  const r = renderExample(spec, w, setup.catalog);
  families[spec.family ?? "attest"] = (families[spec.family ?? "attest"] ?? 0) + 1;
  const messages = [
    { role: "system", content: r.system },
    { role: "user", content: r.question },
    { role: "assistant", content: r.answer },
  ];
  rows.push(JSON.stringify({ messages }));
  if (rows.length >= n) break;
}
const sampleMs = performance.now() - t;
const dir = mkdtempSync(join(tmpdir(), "sekft-bench-diversity-"));
try {
  const file = join(dir, "train.jsonl");
  writeFileSync(file, `${rows.join("\n")}\n`);
  const s = await datasetStats(file);
  console.log(`rendered ${rows.length} examples of the default stream (seed ${seed}) in ${(sampleMs / 1000).toFixed(1)} s`);
  console.log(
    `families: ${Object.entries(families)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );
  console.log(`distinct answers ${s.distinct_answers}, distinct scripts ${s.distinct_scripts}, distinct skeletons ${s.distinct_skeletons}`);
  console.log(`examples per distinct skeleton ${(s.examples / s.distinct_skeletons).toFixed(2)} (target ≤ 3)`);
  console.log(`question and skeleton both unique: ${(s.unique_question_and_skeleton_share * 100).toFixed(1)}%`);
  console.log(`duplicate questions ${s.duplicate_questions}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
