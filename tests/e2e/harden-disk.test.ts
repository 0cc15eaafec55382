// needs: witness
import { describe, expect } from "bun:test";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.ts";
import { testWith, witnessBin } from "../helpers/deps.ts";

const canMount = process.getuid?.() === 0;

describe("a full disk (issue 14, item 3)", () => {
  testWith(
    Boolean(witnessBin()) && canMount,
    "ENOSPC while writing the outputs is exit 1 naming the file, with no .partial and no truncated file left",
    async () => {
      // Decide 2 examples on a roomy disk, then resume on a small tmpfs that holds the journal but not the outputs.
      const roomy = mkdtempSync(join(tmpdir(), "sekft-harden-disk-"));
      const args = ["gen", "--count", "2", "--seed", "5", "--workers", "2"];
      const first = await runCli([...args, "--out", roomy]);
      expect(first.code, first.stderr).toBe(0);
      const journal = join(roomy, "witness", "journal.jsonl");
      // A split with no line has no file.
      const outputs = ["train.jsonl", "valid.jsonl", "meta.jsonl"]
        .filter((f) => existsSync(join(roomy, "witness", f)))
        .reduce((n, f) => n + statSync(join(roomy, "witness", f)).size, 0);
      const size = Math.ceil(statSync(journal).size / 4096) * 4096 + 8192;
      expect(outputs).toBeGreaterThan(12 * 1024);

      const small = mkdtempSync(join(tmpdir(), "sekft-harden-tmpfs-"));
      const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", small]);
      expect(mounted.status, String(mounted.stderr)).toBe(0);
      try {
        mkdirSync(join(small, "witness"));
        copyFileSync(journal, join(small, "witness", "journal.jsonl"));
        const r = await runCli([...args, "--out", small]);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`cannot write ${small}/witness/\\w+\\.jsonl: no space left on device`));
        expect(r.stderr).not.toContain("--help");
        const left = readdirSync(join(small, "witness"));
        expect(left.filter((f) => f.endsWith(".partial"))).toEqual([]);
        expect(left).not.toContain("manifest.json");
        // Whatever was renamed into place is whole: it equals the roomy run's file.
        for (const f of left.filter((f) => f !== "journal.jsonl" && f !== "rejects.jsonl")) {
          expect(readFileSync(join(small, "witness", f), "utf8"), f).toBe(readFileSync(join(roomy, "witness", f), "utf8"));
        }
      } finally {
        spawnSync("umount", [small]);
      }
      expect(existsSync(join(small, "witness"))).toBe(false);
    },
    300_000,
  );
});
