// needs: docker
import { describe, expect } from "bun:test";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.ts";
import { testWith } from "../helpers/deps.ts";

const DOCKER = existsSync("/var/run/docker.sock");
const tmp = (p: string): string => mkdtempSync(join(tmpdir(), `sekft-rollout-maxtime-${p}-`));
type Manifest = { counts: { samples: number }; files: Record<string, string>; partial?: { reason: string; max_time?: string } };
const manifestOf = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
const lineCount = (f: string): number => readFileSync(f, "utf8").split("\n").filter(Boolean).length;

describe("rollout --max-time (real Docker)", () => {
  testWith(
    DOCKER,
    "--max-time writes the decided samples as a partial set that verifies, exit 75; the same command completes it",
    async () => {
      const bundles = tmp("bundles");
      const g = await runCli(["gen", "--track", "shell", "--count", "4", "--workers", "2", "--out", bundles, "--seed", "5"], { timeoutMs: 300_000 });
      expect(g.code, g.stderr).toBe(0);
      const out = tmp("out");
      const args = ["rollout", bundles, "--out", out, "--operator", "perturb", "--samples", "6"];
      const cut = await runCli([...args, "--workers", "1", "--max-time", "12s"], { timeoutMs: 300_000 });
      expect(cut.code, cut.stderr).toBe(75);
      expect(cut.stderr).toContain("--max-time 12s ran out");
      const dir = join(out, "rollout");
      const partial = manifestOf(dir);
      expect(partial.partial).toEqual({ reason: "max-time", max_time: "12s" });
      expect(partial.counts.samples).toBeGreaterThan(0);
      expect(lineCount(join(dir, "trajectories.jsonl"))).toBe(partial.counts.samples);
      // Complete in itself: files match the manifest and every trajectory replays to its recorded outcome.
      const v = await runCli(["verify", dir, "--workers", "2"], { timeoutMs: 300_000 });
      expect(v.code, v.stderr).toBe(0);

      const rest = await runCli([...args, "--workers", "2"], { timeoutMs: 600_000 });
      expect(rest.code, rest.stderr).toBe(0);
      expect(rest.stderr).toContain("resuming");
      const full = manifestOf(dir);
      expect(full.partial).toBeUndefined();
      expect(full.counts.samples).toBeGreaterThan(partial.counts.samples);
      expect(lineCount(join(dir, "trajectories.jsonl"))).toBe(full.counts.samples);
    },
    900_000,
  );
});
