import { test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { IN_CI } from "./cli.ts";

/** The cached witness build the setup script makes (or $SEKFT_WITNESS). */
export function witnessBin(): string | undefined {
  const candidates = [process.env.SEKFT_WITNESS, join(process.env.HOME ?? "/root", ".cache/sekft/tools/witness-v0.11.0/witness")];
  return candidates.find((c): c is string => Boolean(c && existsSync(c)));
}

/**
 * A test that needs a real dependency: on a laptop it is skipped when the dependency is missing; under
 * CI=true it runs anyway and fails, because CI must never pass by skipping.
 */
export function testWith(present: boolean, name: string, fn: () => Promise<void> | void, timeout?: number): void {
  if (present || IN_CI) test(name, fn, timeout);
  else test.skip(`${name} (dependency missing)`, fn);
}
