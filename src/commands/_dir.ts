import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { InputError } from "../errors.ts";

/** The directory a viewing command reads: it must exist and be a directory (an output DIR of sekft). */
export function datasetDir(target: string): string {
  const dir = resolve(target);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new InputError(`${target}: not a directory`, "Pass the --out directory of `sekft gen` or `sekft rollout`.");
  return dir;
}
