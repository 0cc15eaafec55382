import { test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { IN_CI, ROOT } from "./cli.ts";
import { requireNeed, requireSomeNeed } from "./needs.ts";

/** The cached witness build the setup script makes (or $SEKFT_WITNESS); only for files that declare `witness`. */
export function witnessBin(): string | undefined {
  requireNeed("witness");
  const candidates = [process.env.SEKFT_WITNESS, join(process.env.HOME ?? "/root", ".cache/sekft/tools/witness-v0.11.0/witness")];
  return candidates.find((c): c is string => Boolean(c && existsSync(c)));
}

/** Whether the local Docker engine's socket is there; only for files that declare `docker`. */
export function dockerPresent(): boolean {
  requireNeed("docker");
  return existsSync("/var/run/docker.sock");
}

/** The Harbor venv's python (`bash scripts/harbor.sh install` made it), or undefined when it is not installed; only for files that declare `harbor`. */
export function harborPython(): string | undefined {
  requireNeed("harbor");
  const r = Bun.spawnSync(["bash", join(ROOT, "scripts/harbor.sh"), "python"], { stdout: "pipe", stderr: "ignore" });
  return r.exitCode === 0 ? r.stdout.toString().trim() : undefined;
}

/**
 * A test that needs a real dependency: on a laptop it is skipped when the dependency is missing; under
 * CI=true it runs anyway and fails, because CI must never pass by skipping. Its file declares what it needs.
 */
export function testWith(present: boolean, name: string, fn: () => Promise<void> | void, timeout?: number): void {
  requireSomeNeed();
  if (present || IN_CI) test(name, fn, timeout);
  else test.skip(`${name} (dependency missing)`, fn);
}
