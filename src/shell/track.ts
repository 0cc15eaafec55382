import type { Track } from "../track-types.ts";
import { mergeShell } from "./merge.ts";
import { genShell } from "./gen.ts";
import { bundleStats, formatBundleStats } from "./stats.ts";
import { verifyBundles } from "./verify.ts";

/** The shell track: scenario bundles admitted by the three-way gate in the sandbox. */
export const track: Track = {
  name: "shell",
  countKey: "shell",
  authors: ["builtin", "model"],
  gen: genShell,
  merge: mergeShell,
  verify: (ctx, target, opts) => verifyBundles(ctx, target, opts),
  async stats(_ctx, target, opts) {
    const stats = bundleStats(target);
    process.stdout.write(opts.json ? `${JSON.stringify(stats, null, 2)}\n` : formatBundleStats(stats));
  },
};
