// needs: witness
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.ts";

const tmp = (): string => mkdtempSync(join(tmpdir(), "sekft-harden-"));

describe("hostile config files (issue 14, item 9)", () => {
  test("a [__proto__] table, or a constructor/prototype key, is a schema error naming the key", async () => {
    const dir = tmp();
    for (const [text, key] of [
      ['["__proto__"]\nx = 1\n', "__proto__"],
      ["[run]\nconstructor = 3\n", "run.constructor"],
      ["[witness.prototype]\nx = 1\n", "witness.prototype"],
    ] as const) {
      const file = join(dir, "c.toml");
      writeFileSync(file, text);
      const r = await runCli(["config", "check", file]);
      expect(r.code, text).toBe(2);
      expect(r.stderr, text).toContain(`${key}: reserved name`);
    }
  });

  test("witness_bin that is a directory or not executable is a config error naming witness.witness_bin", async () => {
    const dir = tmp();
    const noexec = join(dir, "witness");
    writeFileSync(noexec, "#!/bin/sh\n", { mode: 0o644 });
    for (const bin of ["/tmp", noexec]) {
      const file = join(dir, "c.toml");
      writeFileSync(file, `[witness]\nwitness_bin = "${bin}"\n`);
      const check = await runCli(["config", "check", file]);
      expect(check.code, bin).toBe(2);
      expect(check.stderr, bin).toContain("witness.witness_bin:");
      const gen = await runCli(["gen", "--config", file, "--count", "1", "--out", join(dir, "out")]);
      expect(gen.code, bin).toBe(2);
      expect(gen.stderr, bin).toContain("witness.witness_bin:");
      expect(gen.stderr, bin).not.toContain("Run with --help");
    }
  });

  test("a table replaced by flags does not hide its own error", async () => {
    const dir = tmp();
    const file = join(dir, "c.toml");
    writeFileSync(file, "run = 5\n");
    const r = await runCli(["gen", "--config", file, "--workers", "1", "--out", join(dir, "D"), "--seed", "1", "--count", "1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\brun: /);
  });
});

describe("unbounded reads (issue 14, item 7)", () => {
  test("a FIFO or /dev/zero is refused (exit 2 naming it) by config check, verify and stats", async () => {
    const dir = tmp();
    const fifo = join(dir, "pipe.jsonl");
    spawnSync("mkfifo", [fifo]);
    const cases = [
      ["config", "check", fifo],
      ["config", "check", "/dev/zero"],
      ["verify", fifo],
      ["stats", fifo],
      ["stats", "/dev/zero"],
    ];
    for (const args of cases) {
      const r = await runCli(args, { timeoutMs: 20_000 });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toContain(args.at(-1)!);
      expect(r.stderr, args.join(" ")).toContain("not a regular file");
    }
  });

  test("a config file over 4 MiB is refused without being parsed", async () => {
    const dir = tmp();
    const file = join(dir, "big.toml");
    writeFileSync(file, `# ${"x".repeat(5 * 2 ** 20)}\n`);
    const r = await runCli(["config", "check", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: `);
    expect(r.stderr).toContain("4 MiB limit");
  });

  test("a bundle directory holding a FIFO is refused, not hung on", async () => {
    const dir = tmp();
    mkdirSync(join(dir, "bundles"));
    spawnSync("mkfifo", [join(dir, "bundles", "a.json")]);
    const r = await runCli(["stats", dir], { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("not a regular file");
  });
});
