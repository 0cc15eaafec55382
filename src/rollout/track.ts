import type { Track } from "../track-types.ts";
import { ROLLOUT_FILES } from "./record.ts";
import { formatRolloutStats, type RolloutStats, rolloutStats, trainingFileTokens } from "./stats.ts";
import { verifyRollout } from "./verify.ts";

/** Rollouts: trajectories of operators in the sandbox (made by `sekft rollout`, not `gen`). */
export const track: Track = {
  name: "rollout",
  countKey: "rollout",
  authors: [],
  layout: ROLLOUT_FILES,
  verify: verifyRollout,
  async stats(ctx, target) {
    const shell = ctx.config.shell;
    const panic = Object.entries(shell.difficulties)
      .filter(([, d]) => d.terminal === "panic")
      .map(([n]) => n);
    return [{ ...rolloutStats(target, shell.min_terminal_share, panic), tokens: await trainingFileTokens(target) }];
  },
  formatStats: (stats) => formatRolloutStats(stats as RolloutStats),
};
