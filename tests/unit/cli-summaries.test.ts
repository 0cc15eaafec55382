import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SUMMARIES } from "../../src/commands/_summaries.ts";

// cli.ts's command map, read as text: importing cli.ts would run the CLI.
const CLI = readFileSync(join(import.meta.dir, "../../src/cli.ts"), "utf8");
const COMMANDS = [...CLI.matchAll(/^\s+([\w-]+): \(\) => import\("\.\/commands\/([\w-]+)\.ts"\)/gm)].map((m) => ({ name: m[1]!, file: m[2]! }));

test("the command map is read: every lazy entry of cli.ts", () => {
  expect(COMMANDS.length).toBeGreaterThanOrEqual(13);
  expect(COMMANDS.map((c) => c.name)).toContain("doctor");
});

test("every command has its summary for `sekft --help`, equal to the command's own description", async () => {
  expect(Object.keys(SUMMARIES).sort()).toEqual(COMMANDS.map((c) => c.name).sort());
  for (const { name, file } of COMMANDS) {
    const mod = (await import(`../../src/commands/${file}.ts`)) as { default: { meta?: { description?: string } } };
    expect(SUMMARIES[name], name).toBe(mod.default.meta?.description);
  }
});
