import { expect, test } from "bun:test";
import { resolveShard } from "../../src/scale/shard.ts";

test("--shard auto takes the index from the cluster engine's variable", () => {
  expect(resolveShard("auto", "4", { JOB_COMPLETION_INDEX: "2" })).toEqual({ index: 2, total: 4 });
  expect(resolveShard("auto", "4", { SLURM_ARRAY_TASK_ID: "3" })).toEqual({ index: 3, total: 4 });
  expect(resolveShard("auto", "4", { JOB_COMPLETION_INDEX: "0", SLURM_ARRAY_TASK_ID: "3" })).toEqual({ index: 0, total: 4 });
  expect(resolveShard("1/3", undefined, {})).toEqual({ index: 1, total: 3 });
  expect(resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: "2" })).toEqual({ index: 0, total: 1 });
});

test("--shard auto fails clearly without an index, with a bad one, or without --shards", () => {
  expect(() => resolveShard("auto", "4", {})).toThrow("none of JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID is set");
  expect(() => resolveShard("auto", "4", { JOB_COMPLETION_INDEX: "4" })).toThrow("JOB_COMPLETION_INDEX=4 is no index below --shards 4");
  expect(() => resolveShard("auto", "4", { SLURM_ARRAY_TASK_ID: "x" })).toThrow("SLURM_ARRAY_TASK_ID=x");
  expect(() => resolveShard("auto", undefined, { JOB_COMPLETION_INDEX: "1" })).toThrow("--shard auto needs --shards N");
  expect(() => resolveShard("1/4", "4", {})).toThrow("--shards goes with --shard auto");
  expect(() => resolveShard("4/4", undefined, {})).toThrow("--shard must be I/N");
});
