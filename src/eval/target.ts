import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../errors.ts";
import { detectTracks } from "../tracks.ts";
import { WITNESS_LAYOUT } from "../witness/layout.ts";

/** What `sekft eval` was pointed at: witness questions in a chat JSONL file, or a directory of shell bundles. */
export type EvalTarget = { track: "witness"; file: string } | { track: "shell"; dir: string };

/**
 * Resolves an eval target: a file is chat JSONL; a directory of `gen` is asked its `valid` split (witness) or
 * rolled out (shell bundles). A witness directory without a valid split is an error: the train split is no test.
 */
export function resolveEvalTarget(target: string): EvalTarget {
  if (!existsSync(target)) throw new InputError(`${target}: no such file or directory`);
  if (!statSync(target).isDirectory()) return { track: "witness", file: target };
  for (const part of detectTracks(target)) {
    if (part.track === "shell") return { track: "shell", dir: part.target };
    if (part.track === "witness") {
      const valid = join(part.target, WITNESS_LAYOUT.valid);
      if (existsSync(valid)) return { track: "witness", file: valid };
      throw new InputError(
        `${part.target}: no ${WITNESS_LAYOUT.valid} to ask (no example fell into the valid split)`,
        "Generate at least 10 examples with a valid_share above 0, or pass a chat JSONL file.",
      );
    }
  }
  throw new InputError(`${target}: neither witness data nor shell bundles`, "Pass a chat JSONL file, or the --out directory of `sekft gen`.");
}
