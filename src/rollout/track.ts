import type { Track } from "../track-types.ts";
import { formatRolloutStats, rolloutStats } from "./stats.ts";
import { verifyRollout } from "./verify.ts";

/** Rollouts: trajectories of operators in the sandbox (made by `sekft rollout`, not `gen`). */
export const track: Track = {
  name: "rollout",
  countKey: "rollout",
  authors: [],
  verify: verifyRollout,
  async stats(ctx, target, opts) {
    const shell = ctx.config.shell;
    const panic = Object.entries(shell.difficulties)
      .filter(([, d]) => d.terminal === "panic")
      .map(([n]) => n);
    const stats = rolloutStats(target, shell.min_terminal_share, panic);
    process.stdout.write(opts.json ? `${JSON.stringify(stats, null, 2)}\n` : formatRolloutStats(stats));
  },
};
