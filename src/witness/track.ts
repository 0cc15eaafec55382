import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Track } from "../track-types.ts";
import { mergeWitness } from "./merge.ts";

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
  async stats(_ctx, target, opts) {
    const { datasetStats, formatStats } = await import("./stats.ts");
    for (const file of splitFiles(target)) {
      const stats = await datasetStats(file);
      process.stdout.write(opts.json ? `${JSON.stringify(stats, null, 2)}\n` : formatStats(stats));
    }
  },
};
