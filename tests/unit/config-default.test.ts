import { expect, test } from "bun:test";
import { DEFAULT_CONFIG_TEXT, parseDefaultConfig, parseToml } from "../../src/config/load.ts";

test("Bun's TOML parser reads the embedded config exactly as the TOML library reads a user's file", () => {
  const fast = parseDefaultConfig();
  const library = parseToml(DEFAULT_CONFIG_TEXT, "embedded config.toml");
  expect(Object.keys(fast).length).toBeGreaterThan(3);
  expect(fast).toEqual(JSON.parse(JSON.stringify(library)));
  expect(JSON.stringify(fast)).toBe(JSON.stringify(library));
});
