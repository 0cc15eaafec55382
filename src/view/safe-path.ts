import { existsSync, realpathSync } from "node:fs";
import { isAbsolute, resolve, sep } from "node:path";

const inside = (root: string, p: string): boolean => p === root || p.startsWith(root + sep);

/**
 * Resolves a path a client asked for inside ROOT, or undefined: absolute paths, `..` that climbs out and
 * symlinks whose target lies outside are all refused (the real path is checked, not the spelling).
 */
export function resolveInside(root: string, requested: string): string | undefined {
  if (!requested || requested.includes("\0") || isAbsolute(requested)) return undefined;
  const realRoot = realpathSync(root);
  const joined = resolve(realRoot, requested);
  if (!inside(realRoot, joined) || !existsSync(joined)) return undefined;
  const real = realpathSync(joined);
  return inside(realRoot, real) ? real : undefined;
}
