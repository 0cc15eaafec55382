import { UsageError } from "../errors.ts";
import type { Shard } from "../track-types.ts";

/** Where cluster engines put a task's index: Kubernetes Indexed Jobs, then Slurm job arrays. */
export const SHARD_INDEX_VARS = ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"] as const;

/**
 * The shard a process makes: `--shard I/N`; `--shard auto --shards N` with I from the engine's variable in
 * `env` (the command passes the process environment); no flag, the whole stream.
 */
export function resolveShard(value: string | undefined, shards: string | undefined, env: Readonly<Record<string, string | undefined>>): Shard {
  if (value === undefined) {
    if (shards !== undefined) throw new UsageError("--shards goes with --shard auto", "Use --shard auto --shards N, or --shard I/N.");
    return { index: 0, total: 1 };
  }
  if (value === "auto") {
    const total = Number(shards);
    if (shards === undefined || !Number.isInteger(total) || total < 1)
      throw new UsageError(`--shard auto needs --shards N (N ≥ 1), got ${shards === undefined ? "none" : `"${shards}"`}`);
    const name = SHARD_INDEX_VARS.find((v) => env[v] !== undefined && env[v] !== "");
    if (!name) {
      throw new UsageError(
        `--shard auto: none of ${SHARD_INDEX_VARS.join(", ")} is set`,
        "Run it as a Kubernetes Indexed Job or a Slurm array task, or pass --shard I/N.",
      );
    }
    const raw = env[name]!;
    const index = Number(raw);
    if (!/^\d+$/.test(raw) || index >= total) throw new UsageError(`--shard auto: ${name}=${raw} is no index below --shards ${total}`);
    return { index, total };
  }
  if (shards !== undefined) throw new UsageError("--shards goes with --shard auto; --shard I/N names the total itself");
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const index = Number(m?.[1]);
  const total = Number(m?.[2]);
  if (!m || total < 1 || index >= total) throw new UsageError(`--shard must be I/N with 0 ≤ I < N, or auto; got "${value}"`);
  return { index, total };
}
