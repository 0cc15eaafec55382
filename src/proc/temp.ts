import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Prefixes of the temp dirs sekft makes; each name goes on with the owning pid: `sekft-ex-<pid>-XXXXXX`. */
export const TEMP_PREFIXES = ["sekft-ex", "sekft-sbom-probe", "sekft-cp", "sekft-probe"] as const;

/** Makes a temp dir named after the owning process, so a later run can tell when its owner died (kill -9). */
export function makeOwnedTempDir(prefix: (typeof TEMP_PREFIXES)[number]): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-${process.pid}-`));
}

/** True while a process with this pid exists (EPERM: it exists but is not ours). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}

/**
 * Removes the temp dirs of sekft processes that are gone (a `kill -9` skips every `finally`); dirs of live
 * processes, and names without a pid, are left alone. Returns how many were removed.
 */
export function removeStaleTempDirs(base: string = tmpdir()): number {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return 0;
  }
  const pattern = new RegExp(`^(?:${TEMP_PREFIXES.join("|")})-(\\d+)-[A-Za-z0-9]{6}$`);
  let removed = 0;
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!(pid > 0) || pid === process.pid || isAlive(pid)) continue;
    try {
      rmSync(join(base, name), { recursive: true, force: true });
      removed += 1;
    } catch {
      // An orphaned script may still be writing into it; the next run tries again.
    }
  }
  return removed;
}
