import { expect, test } from "bun:test";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { ConfigError } from "../../src/errors.ts";
import { compare, parseDecimal } from "../../src/decimal.ts";

test("the embedded [trace] section: three thresholds, all 'greater than', exact decimal strings", () => {
  const t = loadConfig(undefined).trace;
  expect(Object.entries(t.thresholds).map(([id, x]) => [id, x.flops, x.comparison])).toEqual([
    ["eu_ai_act_art51", "1e25", "greater_than"],
    ["eu_gpai_guidelines", "1e23", "greater_than"],
    ["ca_sb53_frontier", "1e26", "greater_than"],
  ]);
  for (const x of Object.values(t.thresholds)) expect(x.wording).toContain("greater than");
  expect(compare(parseDecimal(t.crosscheck_factor), parseDecimal("1"))).toBe(1);
  expect(t.privacy_keys).toEqual(expect.arrayContaining(["learning_rate", "batch_size", "layers", "dataset", "weights"]));
});

test("config check names every bad [trace] key", () => {
  let error: unknown;
  try {
    loadConfig(join(import.meta.dir, "../../fixtures/configs/trace-bad.toml"));
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const msg = (error as ConfigError).message;
  expect(msg).toContain("trace.crosscheck_factor: must be ≥ 1");
  expect(msg).toContain("trace.privacy_keys:");
  expect(msg).toContain("trace.thresholds.eu_ai_act_art51.flops:");
  expect(msg).toContain("trace.thresholds.eu_ai_act_art51.comparison:");
  expect(msg).toContain("trace.thresholds.eu_ai_act_art51.colour: unknown key");
});
