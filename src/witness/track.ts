import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Track } from "../tracks.ts";
import { genWitness } from "./gen.ts";
import { datasetStats, formatStats } from "./stats.ts";
import { verifyDataset } from "./verify.ts";

/** The split files of a witness output directory that hold examples (an empty valid.jsonl is skipped). */
function splitFiles(target: string): string[] {
  if (!statSync(target).isDirectory()) return [target];
  return ["train.jsonl", "valid.jsonl"].map((f) => join(target, f)).filter((f) => existsSync(f) && statSync(f).size > 0);
}

/** The witness track: examples whose own answer text, run as a script, ends with `witness verify` succeeding. */
export const track: Track = {
  name: "witness",
  countKey: "witness",
  authors: [],
  gen: genWitness,
  async verify(ctx, target, opts) {
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
  async stats(_ctx, target, opts) {
    for (const file of splitFiles(target)) {
      const stats = datasetStats(file);
      process.stdout.write(opts.json ? `${JSON.stringify(stats, null, 2)}\n` : formatStats(stats));
    }
  },
};
