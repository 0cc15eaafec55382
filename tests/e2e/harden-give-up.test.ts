// needs: witness docker
import { describe, expect } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, runCli } from "../helpers/cli.ts";
import { dockerPresent, testWith, witnessBin } from "../helpers/deps.ts";

/** A witness whose `verify` always fails; every other subcommand is the real witness. */
function failingWitness(real: string): string {
  const dir = mkdtempSync(join(tmpdir(), "sekft-harden-fakewit-"));
  const fake = join(dir, "witness");
  writeFileSync(fake, `#!/bin/sh\nif [ "$1" = verify ]; then echo "Verification failed: forced by the test" >&2; exit 1; fi\nexec "${real}" "$@"\n`, {
    mode: 0o755,
  });
  return fake;
}

describe("give-up (issue 14, item 2)", () => {
  testWith(
    Boolean(witnessBin()),
    "gen --track witness stops after give_up_after rejects in a row, exit 1 with the top reasons",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "sekft-harden-giveup-"));
      mkdirSync(join(dir, "out"));
      const config = join(dir, "c.toml");
      writeFileSync(config, "[run]\ngive_up_after = 3\n");
      const env = cleanEnv({ SEKFT_WITNESS: failingWitness(witnessBin()!) });
      const r = await runCli(["gen", "--config", config, "--count", "1", "--workers", "2", "--out", join(dir, "out")], { env, timeoutMs: 240_000 });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain("gave up after");
      expect(r.stderr).toContain("rejects in a row (run.give_up_after = 3)");
      expect(r.stderr).toMatch(/top reasons: verify-failed \d+/);
      const rejects = readFileSync(join(dir, "out", "witness", "rejects.jsonl"), "utf8")
        .trim()
        .split("\n");
      // Three in a row end it; at most the other worker's job was in flight.
      expect(rejects.length).toBeGreaterThanOrEqual(3);
      expect(rejects.length).toBeLessThanOrEqual(4);
      expect(existsSync(join(dir, "out", "witness", "manifest.json"))).toBe(true);
    },
    300_000,
  );

  testWith(
    dockerPresent(),
    "gen --track shell stops after give_up_after rejects in a row instead of trying every cell",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "sekft-harden-giveup-shell-"));
      const config = join(dir, "c.toml");
      // No builtin reference fits in two commands: every authoring attempt is refused.
      writeFileSync(config, "[run]\ngive_up_after = 3\n[shell.limits]\nmax_commands = 2\n");
      const r = await runCli(["gen", "--track", "shell", "--config", config, "--count", "5", "--workers", "1", "--out", join(dir, "out")], {
        timeoutMs: 120_000,
      });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain("shell: gave up after 3 rejects in a row (run.give_up_after = 3)");
      expect(r.stderr).toContain("top reasons: oversize 3");
      expect(
        readFileSync(join(dir, "out", "shell", "rejects.jsonl"), "utf8")
          .trim()
          .split("\n"),
      ).toHaveLength(3);
    },
    180_000,
  );
});
