import type { Track } from "../track-types.ts";
import { mergeShell } from "./merge.ts";
import { genShell } from "./gen.ts";
import { SHELL_LAYOUT } from "./layout.ts";
import { type BundleStats, bundleStats, formatBundleStats } from "./stats.ts";
import { verifyBundles } from "./verify.ts";

/** The shell track: scenario bundles admitted by the three-way gate in the sandbox. */
export const track: Track = {
  name: "shell",
  countKey: "shell",
  authors: ["builtin", "model"],
  layout: SHELL_LAYOUT,
  gen: genShell,
  merge: mergeShell,
  verify: (ctx, target, opts) => verifyBundles(ctx, target, opts),
  stats: async (_ctx, target) => [bundleStats(target)],
  formatStats: (stats) => formatBundleStats(stats as BundleStats),
};
