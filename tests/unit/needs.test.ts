import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "../helpers/cli.ts";
import { testWith, witnessBin } from "../helpers/deps.ts";
import { NEEDS, needsOf, parseNeeds, requireNeed } from "../helpers/needs.ts";

const FILES = readdirSync(join(ROOT, "tests"), { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".test.ts"))
  .map((f) => join(ROOT, "tests", f))
  .sort();

/** What a file reaching a dependency directly (not through a helper that checks) must declare. */
const DIRECT: [RegExp, (typeof NEEDS)[number]][] = [
  [/from "dockerode"|\bDockerEngine\b|helpers\/docker\.ts"|\bdockerPresent\(/, "docker"],
  [/\bwitnessBin\(|build-witness\.sh/, "witness"],
  [/\bBrowser\.launch\(|helpers\/cdp\.ts"/, "browser"],
  [/\bstartModel\(|\bmodelInstalled\(/, "model"],
];

describe("every test file's first line says what it needs", () => {
  test("the needs line, when there is one, is well formed and uses only known words", () => {
    expect(FILES.length).toBeGreaterThan(70);
    const problems: string[] = [];
    for (const f of FILES) {
      try {
        needsOf(f);
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
    expect(problems).toEqual([]);
  });

  test("a file that reaches a dependency directly declares it", () => {
    const missing: string[] = [];
    for (const f of FILES) {
      if (f === Bun.main) continue; // this file names the patterns
      const text = readFileSync(f, "utf8");
      const declared = needsOf(f);
      for (const [pattern, need] of DIRECT) if (pattern.test(text) && !declared.includes(need)) missing.push(`${relative(ROOT, f)}: ${need}`);
    }
    expect(missing).toEqual([]);
  });

  test("parseNeeds: a subset of the vocabulary; no line is a unit file; a wrong line names file, line and word", () => {
    expect(parseNeeds("// needs: witness docker", "a.test.ts")).toEqual(["witness", "docker"]);
    expect(parseNeeds(`// needs: ${NEEDS.join(" ")}`, "a.test.ts")).toEqual([...NEEDS]);
    expect(parseNeeds('import { test } from "bun:test";', "a.test.ts")).toEqual([]);
    expect(parseNeeds("// a comment about needs", "a.test.ts")).toEqual([]);
    expect(() => parseNeeds("// needs: witness dokker", "a.test.ts")).toThrow('a.test.ts:1: unknown need "dokker"');
    expect(() => parseNeeds("// needs: docker docker", "a.test.ts")).toThrow('a.test.ts:1: need "docker" is listed twice');
    expect(() => parseNeeds("// needs:", "a.test.ts")).toThrow("a.test.ts:1: write the needs line as");
    expect(() => parseNeeds("// Needs: docker", "a.test.ts")).toThrow("a.test.ts:1: write the needs line as");
    expect(() => parseNeeds("//needs: docker", "a.test.ts")).toThrow("a.test.ts:1: write the needs line as");
    expect(() => parseNeeds("// need: docker", "a.test.ts")).toThrow("a.test.ts:1: write the needs line as");
    expect(() => parseNeeds("// needs: witness,docker", "a.test.ts")).toThrow('unknown need "witness,docker"');
  });
});

test("scripts/test.sh puts each file in the group of the first of model harbor mlx browser docker witness it needs", () => {
  const order = ["model", "harbor", "mlx", "browser", "docker", "witness"] as const;
  const expected = FILES.map((f) => `${order.find((g) => needsOf(f).includes(g)) ?? "unit"} ${relative(ROOT, f)}`);
  const r = Bun.spawnSync(["bash", join(ROOT, "scripts/test.sh"), "list"], { cwd: ROOT, stderr: "pipe" });
  expect(r.exitCode, r.stderr.toString()).toBe(0);
  expect(r.stdout.toString().trim().split("\n")).toEqual(expected);
});

describe("the helpers refuse a dependency the running file did not declare", () => {
  // This file is a unit file (no needs line), so every helper that reaches a dependency must throw here.
  test("requireNeed, witnessBin and testWith throw from a unit file, naming it", () => {
    expect(Bun.main).toBe(join(ROOT, "tests/unit/needs.test.ts"));
    for (const need of NEEDS) expect(() => requireNeed(need)).toThrow(`tests/unit/needs.test.ts uses ${need} but does not declare it`);
    expect(() => witnessBin()).toThrow("uses witness but does not declare it");
    expect(() => testWith(true, "never registered", () => undefined)).toThrow("calls testWith but declares no needs");
  });
});
