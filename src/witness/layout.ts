import type { TrackLayout } from "../track-types.ts";

/** The files of a witness directory (`gen`'s OUT/witness). */
export const WITNESS_LAYOUT = {
  train: "train.jsonl",
  valid: "valid.jsonl",
  meta: "meta.jsonl",
  rejects: "rejects.jsonl",
} as const satisfies TrackLayout;
