/**
 * The contract between the commands and the tracks: types only. Tracks import it; the registry (`tracks.ts`),
 * which loads the tracks, sits above them.
 */
import type { RunContext } from "./context.ts";
import type { ShardSet } from "./dataset/shards.ts";

/** Which slice of the item stream this process makes: every `total`-th item starting at `index`. */
export interface Shard {
  index: number;
  total: number;
}

/** The one set of options `sekft gen` hands any track. */
export interface GenOptions {
  /** Items to keep (per shard). */
  count: number;
  out: string;
  workers: number;
  seed: number;
  shard: Shard;
  /** Who authors items, for tracks that have a choice (shell: builtin | model). */
  author: string;
  /** Remove the track's previous outputs and journal first: start over instead of resuming. */
  force: boolean;
}

export interface GenSummary {
  kept: number;
  rejected: number;
}

export interface VerifyOptions {
  workers: number;
  /** Check only N items, drawn with `seed` while reading. */
  sample?: number;
  json: boolean;
  seed: number;
  /** Stop dispatching after the first failure. */
  failFast: boolean;
  /** Where scripts run: undefined = the sandbox unless `trusted`. */
  mode?: "sandbox" | "host";
  /** `--trust` verified the signature over the target's manifest and files: the data is ours. */
  trusted?: boolean;
  /** Chat answers: what makes a pass — `witness-verify` (default) a final `witness verify` the real witness accepts, `any` the script's exit 0. */
  expect?: "witness-verify" | "any";
  /** Witness answers: PATH holds only the programs the answer's prerequisite sentence names, plus POSIX utilities (sandbox only). */
  statedPath?: boolean;
}

export interface MergeOptions {
  out: string;
  /** Items to keep in all (default: the shards' `requested`, summed). */
  count?: number;
}

export interface MergeSummary {
  dir: string;
  kept: number;
  rejected: number;
  duplicates: number;
  detail: string;
}

/**
 * A track's files, declared once by the track: commands and features (stats, view, report, eval, verify) read the
 * names from here instead of spelling them. Names are relative to the track's directory; a role the track does not
 * have is absent. A training file with no line is not written (its manifest lists it under `empty`).
 */
export interface TrackLayout {
  /** SFT lines a trainer loads, under mlx-lm's names. */
  train?: string;
  valid?: string;
  /** One metadata line per kept item (witness: per example, in stream order). */
  meta?: string;
  rejects?: string;
  /** DPO pairs and KTO lines of the train items, and of the valid ones. */
  dpo?: string;
  dpoValid?: string;
  /** Per DPO pair: where it came from (the pairs of `dpo`, line for line, then those of `dpoValid`). */
  dpoMeta?: string;
  kto?: string;
  ktoValid?: string;
  /** Step-level KTO lines (one assistant turn each) of the train items, and of the valid ones. */
  ktoSteps?: string;
  ktoStepsValid?: string;
  /** Every sample as run (rollouts). */
  trajectories?: string;
  /** A directory of one JSON file per item (shell bundles). */
  bundles?: string;
}

/** What a track offers the commands; a new track is an entry in TRACKS and a folder with a `track.ts`. */
export interface Track {
  name: string;
  /** The config table holding its `count`. */
  countKey: string;
  /** The track's authors (the first is the default); empty when it has no choice. */
  authors: readonly string[];
  /** Absent for tracks made by their own command (rollouts: `sekft rollout`). */
  gen?(ctx: RunContext, opts: GenOptions): Promise<GenSummary>;
  /** Re-checks a dataset: a file or a directory this track made (or, for the witness track, any chat JSONL). */
  verify(ctx: RunContext, target: string, opts: VerifyOptions): Promise<{ passed: number; failed: number }>;
  /** Its files. */
  layout: TrackLayout;
  /** Statistics of a dataset: one entry per file or directory it looked at (the command prints them). */
  stats(ctx: RunContext, target: string): Promise<unknown[]>;
  /** One entry of `stats` as readable text. */
  formatStats(stats: unknown): string;
  /** Merges the checked shards of one run into OUT/<track>, as the unsharded run would have written it (absent: not shardable yet). */
  merge?(shards: ShardSet, opts: MergeOptions): MergeSummary;
}
