import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { schemaKeys } from "../../src/config/keys.ts";
import { ConfigSchema } from "../../src/config/schema.ts";

test("the README's config reference lists exactly the schema's keys", () => {
  const readme = readFileSync(join(import.meta.dir, "../../README.md"), "utf8");
  const documented = [...readme.matchAll(/^- `([a-z_][\w.[\]]*)` —/gm)].map((m) => m[1]!);
  const keys = schemaKeys(ConfigSchema);
  expect(keys.length).toBeGreaterThan(40);
  expect(documented.filter((k) => !keys.includes(k))).toEqual([]);
  expect(keys.filter((k) => !documented.includes(k))).toEqual([]);
});

test("the README's first screen gives exactly two commands", () => {
  const readme = readFileSync(join(import.meta.dir, "../../README.md"), "utf8");
  const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
  const commands = firstBlock.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
  expect(commands).toHaveLength(2);
  expect(commands[1]).toContain("scripts/test.sh");
  expect(readFileSync(join(import.meta.dir, "../../.ci/run"), "utf8")).toContain("scripts/test.sh");
});
