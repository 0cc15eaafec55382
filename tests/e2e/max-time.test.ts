// needs: witness
import { describe, expect } from "bun:test";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, ROOT, runCli } from "../helpers/cli.ts";
import { testWith, witnessBin } from "../helpers/deps.ts";

const HAVE = Boolean(witnessBin());
const FAST = join(ROOT, "fixtures/configs/witness-fast.toml");
const env = (): Record<string, string> => cleanEnv({ HOME: process.env.HOME ?? "/root" });
type Manifest = { requested: number; counts: { kept: number }; files: Record<string, string>; partial?: { reason: string; max_time?: string } };
const manifestOf = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
const lineCount = (f: string): number => readFileSync(f, "utf8").split("\n").filter(Boolean).length;

describe("gen --max-time (real witness)", () => {
  testWith(
    HAVE,
    "--max-time writes a partial set that verifies, exits 75, and the same command without it completes the set",
    async () => {
      const out = mkdtempSync(join(tmpdir(), "sekft-maxtime-"));
      const args = ["gen", "--config", FAST, "--count", "20", "--workers", "2", "--seed", "11", "--out", out];
      const cut = await runCli([...args, "--max-time", "8s"], { env: env() });
      expect(cut.code, cut.stderr).toBe(75);
      expect(cut.stderr).toContain("--max-time 8s ran out");
      expect(cut.stderr).toContain("Run the same command again to resume.");
      const dir = join(out, "witness");
      const partial = manifestOf(dir);
      expect(partial.partial).toEqual({ reason: "max-time", max_time: "8s" });
      expect(partial.requested).toBe(20);
      expect(partial.counts.kept).toBeGreaterThan(0);
      expect(partial.counts.kept).toBeLessThan(20);
      const kept = lineCount(join(dir, "train.jsonl")) + lineCount(join(dir, "valid.jsonl"));
      expect(kept).toBe(partial.counts.kept);
      // Complete in itself: every file is the one the manifest hashed, and every example passes verify.
      for (const split of ["train.jsonl", "valid.jsonl"]) {
        if (!lineCount(join(dir, split))) continue;
        const v = await runCli(["verify", join(dir, split), "--workers", "2"], { env: env() });
        expect(v.code, v.stderr).toBe(0);
        expect(v.stderr).not.toContain("does not match its manifest");
      }

      const rest = await runCli(args, { env: env() });
      expect(rest.code, rest.stderr).toBe(0);
      expect(rest.stderr).toContain("resuming");
      const full = manifestOf(dir);
      expect(full.partial).toBeUndefined();
      expect(full.counts.kept).toBe(20);
      expect(lineCount(join(dir, "train.jsonl")) + lineCount(join(dir, "valid.jsonl"))).toBe(20);
      expect(existsSync(join(dir, "journal.jsonl"))).toBe(true);
    },
    900_000,
  );

  testWith(HAVE, "--max-time refuses a duration it cannot read, exit 2, before any work", async () => {
    const out = mkdtempSync(join(tmpdir(), "sekft-maxtime-bad-"));
    const r = await runCli(["gen", "--config", FAST, "--count", "2", "--out", out, "--max-time", "10"], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--max-time must be a duration such as 90s, 15m, 2h or 1h30m");
    expect(existsSync(join(out, "witness"))).toBe(false);
  });
});
