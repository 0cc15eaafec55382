import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Track } from "../track-types.ts";
import { fileTokens, loadTokenCounter } from "../dataset/tokens.ts";
import { WITNESS_LAYOUT } from "./layout.ts";
import { mergeWitness } from "./merge.ts";
import { type DatasetStats, formatStats } from "./stats.ts";

/** The split files of a witness output directory that hold examples (a split with no line has no file). */
function splitFiles(target: string): string[] {
  if (!statSync(target).isDirectory()) return [target];
  return [WITNESS_LAYOUT.train, WITNESS_LAYOUT.valid].map((f) => join(target, f)).filter((f) => existsSync(f) && statSync(f).size > 0);
}

/** The witness track: examples whose own answer text, run as a script, ends with `witness verify` succeeding. */
export const track: Track = {
  name: "witness",
  countKey: "witness",
  authors: [],
  layout: WITNESS_LAYOUT,
  // Each command loads only its own modules: the baseline heap is what a multi-gigabyte stats run grows from.
  gen: (ctx, opts) => import("./gen.ts").then((m) => m.genWitness(ctx, opts)),
  merge: mergeWitness,
  async verify(ctx, target, opts) {
    const { verifyDataset } = await import("./verify.ts");
    let passed = 0;
    let failed = 0;
    for (const file of splitFiles(target)) {
      const r = await verifyDataset(ctx, file, opts);
      ctx.log.log(`${file}: ${r.passed} passed, ${r.failed} failed`);
      passed += r.passed;
      failed += r.failed;
    }
    return { passed, failed };
  },
  async stats(_ctx, target) {
    const { datasetStats } = await import("./stats.ts");
    const out: DatasetStats[] = [];
    const countTokens = await loadTokenCounter();
    for (const file of splitFiles(target)) out.push({ ...(await datasetStats(file, { countTokens })), tokens: await fileTokens(file) });
    return out;
  },
  formatStats: (stats) => formatStats(stats as DatasetStats),
};
