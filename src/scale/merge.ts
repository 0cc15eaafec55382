import type { RunContext } from "../context.ts";
import { checkOutApart, checkShards, type ShardGuard } from "../dataset/shards.ts";
import { UsageError } from "../errors.ts";
import type { MergeSummary } from "../track-types.ts";
import { loadTrack, TRACKS } from "../tracks.ts";

export interface MergeRequest {
  out: string;
  shards: string[];
  count?: number;
  allowMissing?: number[];
  /** Checks each shard's signature before its manifest is trusted (`--trust`). */
  guard?: ShardGuard;
}

/** `sekft merge`: checks every shard first, then lets the shards' track merge them into OUT/<track>. */
export async function mergeShards(ctx: RunContext, req: MergeRequest): Promise<MergeSummary> {
  checkOutApart(req.out, req.shards);
  const set = checkShards(req.shards, Object.keys(TRACKS), { allowMissing: req.allowMissing, guard: req.guard });
  const track = await loadTrack(set.track);
  if (!track.merge) throw new UsageError(`the ${track.name} track has no shards to merge`);
  const summary = track.merge(set, { out: req.out, count: req.count });
  const lacking = set.missing.length ? `, without shard ${set.missing.join(", ")} of ${set.total}` : "";
  const dups = summary.duplicates ? `, ${summary.duplicates} duplicate id(s) dropped` : "";
  ctx.log.log(
    `${set.track}: merged ${set.shards.length} shard(s)${lacking}: kept ${summary.kept} (${summary.detail}), rejected ${summary.rejected}${dups} → ${summary.dir}`,
  );
  return summary;
}
