import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { InputError, UsageError } from "../errors.ts";

/** The directory a viewing command reads: it must exist and be a directory (an output DIR of sekft). */
export function datasetDir(target: string): string {
  const dir = resolve(target);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new InputError(`${target}: not a directory`, "Pass the --out directory of `sekft gen` or `sekft rollout`.");
  return dir;
}

/** An output directory: absent (it is made) or a directory; anything else in its place is a request error naming it. */
export function outputDir(target: string): string {
  const st = statSync(target, { throwIfNoEntry: false });
  if (st && !st.isDirectory())
    throw new UsageError(`${target}: exists and is not a directory; the output goes into a directory`, "Give a directory, or a path that does not exist yet.");
  return target;
}
