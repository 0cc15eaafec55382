import type { TrackLayout } from "../track-types.ts";

/** The files of a shell directory (`gen --track shell`'s OUT/shell): one JSON file per bundle, and the rejects. */
export const SHELL_LAYOUT = {
  bundles: "bundles",
  rejects: "rejects.jsonl",
} as const satisfies TrackLayout;
