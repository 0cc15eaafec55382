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
  /** Prints statistics of a dataset (JSON on stdout with `json`). */
  stats(ctx: RunContext, target: string, opts: { json: boolean }): Promise<void>;
  /** Merges the checked shards of one run into OUT/<track>, as the unsharded run would have written it (absent: not shardable yet). */
  merge?(shards: ShardSet, opts: MergeOptions): MergeSummary;
}
