import { readFileSync } from "node:fs";

/**
 * What a test file needs beyond Bun, declared on its first line: `// needs: witness docker browser model harbor mlx`
 * (any subset, space-separated). A file without the line is a unit test. `scripts/test.sh` picks files by this line
 * and nothing else, and the helpers that reach a dependency refuse to from a file that did not declare it.
 */
export const NEEDS = ["witness", "docker", "browser", "model", "harbor", "mlx"] as const;
export type Need = (typeof NEEDS)[number];

const PREFIX = "// needs:";

/** The needs a file's first line declares: [] for a unit file; throws on an unknown word, a repeat or an empty list. */
export function parseNeeds(firstLine: string, where: string): Need[] {
  const line = firstLine.replace(/\r$/, "");
  if (!/^\/\/\s*needs?\b/i.test(line)) return [];
  if (!line.startsWith(`${PREFIX} `)) throw new Error(`${where}:1: write the needs line as "${PREFIX} ${NEEDS.join(" ")}" (a subset)`);
  const words = line.slice(PREFIX.length).trim().split(/ +/);
  const seen = new Set<string>();
  for (const w of words) {
    if (!(NEEDS as readonly string[]).includes(w)) throw new Error(`${where}:1: unknown need "${w}" (known: ${NEEDS.join(", ")})`);
    if (seen.has(w)) throw new Error(`${where}:1: need "${w}" is listed twice`);
    seen.add(w);
  }
  return words as Need[];
}

/** The needs declared by the file at `path` (its first line). */
export function needsOf(path: string): Need[] {
  return parseNeeds(readFileSync(path, "utf8").split("\n", 1)[0]!, path);
}

/**
 * Called by every helper that reaches a dependency (witnessBin, the Docker helpers, startModel, Browser.launch): the
 * running test file (Bun.main under `bun test`) must declare `need`, or this throws, so a unit file that starts
 * using Docker fails in the unit run instead of slowing it down or passing by skipping.
 */
export function requireNeed(need: Need): void {
  const file = Bun.main;
  if (!file.endsWith(".test.ts")) return; // a script or bench using the helpers, not a test file
  if (!needsOf(file).includes(need)) {
    throw new Error(`${file} uses ${need} but does not declare it: its first line must be "${PREFIX} …" listing ${need} (see tests/helpers/needs.ts)`);
  }
}

/** For `testWith`: a test that can be skipped for a missing dependency belongs to a file that declares one. */
export function requireSomeNeed(): void {
  const file = Bun.main;
  if (file.endsWith(".test.ts") && needsOf(file).length === 0) {
    throw new Error(`${file} calls testWith but declares no needs: its first line must be "${PREFIX} …" (see tests/helpers/needs.ts)`);
  }
}
