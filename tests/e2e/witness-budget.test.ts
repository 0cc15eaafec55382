// needs: witness
import { afterAll, describe, expect } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadTokenCounter } from "../../src/dataset/tokens.ts";
import { cleanEnv, ROOT, runCli } from "../helpers/cli.ts";
import { testWith, witnessBin } from "../helpers/deps.ts";

const HAVE = Boolean(witnessBin());
const env = (): Record<string, string> => cleanEnv({ HOME: process.env.HOME ?? "/root" });
const rows = <T>(f: string): T[] =>
  (existsSync(f) ? readFileSync(f, "utf8") : "")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** The fast test config with `extra` lines in its [witness] table and `tables` appended. */
function config(extra: string, tables = ""): { out: string; file: string } {
  const out = mkdtempSync(join(tmpdir(), "sekft-budget-"));
  made.push(out);
  const fast = readFileSync(join(ROOT, "fixtures/configs/witness-fast.toml"), "utf8");
  expect(fast).toContain("[witness]\n");
  const file = join(out, "config.toml");
  writeFileSync(file, `${fast.replace("[witness]\n", `[witness]\n${extra}\n`)}\n${tables}\n`);
  return { out, file };
}

type Reject = { reason: string; stderr_tail: string };
const TOO_LONG = /^too-long: answer (\d+) tokens > budget (\d+) \(family (\w+)\)$/;

describe("answer token budget (real witness)", () => {
  testWith(
    HAVE,
    "a budget no answer fits: every example is refused as too-long before it runs, recorded, and the give-up names the budget",
    async () => {
      const { out, file } = config("max_answer_tokens = 16", "[run]\ngive_up_after = 6\n");
      const t = performance.now();
      const gen = await runCli(["gen", "--config", file, "--count", "3", "--workers", "2", "--seed", "5", "--out", out], { env: env() });
      expect(gen.code, gen.stderr).toBe(1);
      expect(gen.stderr).toMatch(/gave up after \d+ rejects in a row \(run\.give_up_after = 6\)/);
      expect(gen.stderr).toMatch(/top reasons: too-long \d+/);
      expect(gen.stderr).toMatch(/over their token budget \(too-long\): raise witness\.max_answer_tokens/);
      const dir = join(out, "witness");
      const rejects = rows<Reject>(join(dir, "rejects.jsonl"));
      expect(rejects.length).toBeGreaterThanOrEqual(6);
      for (const r of rejects) {
        const m = TOO_LONG.exec(r.reason);
        expect(m, r.reason).not.toBeNull();
        expect(Number(m![1])).toBeGreaterThan(16);
        expect(Number(m![2])).toBe(16);
      }
      expect(rows(join(dir, "train.jsonl"))).toHaveLength(0);
      // Refused before running: no script ran, so the whole run takes seconds, not the minutes proofs take.
      expect(performance.now() - t).toBeLessThan(60_000);
    },
    120_000,
  );

  testWith(
    HAVE,
    "a family's own budget and the global one: nothing kept is over its budget, and stats shows the lengths per family",
    async () => {
      const budget = 2200;
      const { out, file } = config(`max_answer_tokens = ${budget}`, "[witness.families.pipeline]\nweight = 1\nmax_answer_tokens = 16\n");
      const gen = await runCli(["gen", "--config", file, "--count", "4", "--workers", "2", "--seed", "7", "--out", out], { env: env() });
      expect(gen.code, gen.stderr).toBe(0);
      const dir = join(out, "witness");
      const count = await loadTokenCounter();
      type Meta = { family: string };
      const meta = rows<Meta>(join(dir, "meta.jsonl"));
      expect(meta).toHaveLength(4);
      expect(meta.map((m) => m.family)).not.toContain("pipeline");
      for (const split of ["train", "valid"])
        for (const l of rows<{ messages: { content: string }[] }>(join(dir, `${split}.jsonl`)))
          expect(count(l.messages[2]!.content)).toBeLessThanOrEqual(budget);
      const reasons = rows<Reject>(join(dir, "rejects.jsonl")).map((r) => TOO_LONG.exec(r.reason));
      // The sampler drew pipeline examples before the fourth kept one: each refused under its own budget.
      expect(reasons.some((m) => m?.[3] === "pipeline" && m[2] === "16")).toBe(true);
      for (const m of reasons.filter(Boolean)) expect(Number(m![1])).toBeGreaterThan(Number(m![2]));
      const stats = await runCli(["stats", dir, "--json"], { env: env() });
      expect(stats.code, stats.stderr).toBe(0);
      const parsed = stats.stdout
        .split(/\n(?=\{)/)
        .map((s) => JSON.parse(s) as { answer_lengths: Record<string, { answers: number; tokens: { max: number } }> });
      expect(parsed.reduce((n, s) => n + s.answer_lengths.all!.answers, 0)).toBe(4);
      for (const s of parsed) {
        expect(s.answer_lengths.all!.tokens.max).toBeLessThanOrEqual(budget);
        expect(s.answer_lengths.pipeline).toBeUndefined();
        expect(Object.keys(s.answer_lengths).length).toBeGreaterThan(1);
      }
    },
    600_000,
  );
});
