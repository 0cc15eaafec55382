import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, runCli } from "../helpers/cli.ts";

const tmp = (): string => mkdtempSync(join(tmpdir(), "sekft-harden2-"));
const fifoIn = (dir: string, name: string): string => {
  const file = join(dir, name);
  spawnSync("mkfifo", [file]);
  return file;
};
// Generous: a hang is killed here and shows up as a wrong exit code, never as a timing assertion.
const HANG_MS = 30_000;

/** A witness dataset directory with a valid manifest and the given files (a FIFO where the value is null). */
function witnessDir(files: Record<string, string | null>): string {
  const root = tmp();
  const dir = join(root, "witness");
  mkdirSync(dir);
  const manifest = {
    track: "witness",
    generator: "test",
    sekft_version: "0",
    config_sha256: "0".repeat(64),
    seed: 1,
    requested: 1,
    counts: {},
    tools: {},
    files: {},
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
  for (const [name, text] of Object.entries(files)) {
    if (text === null) fifoIn(dir, name);
    else writeFileSync(join(dir, name), text);
  }
  return root;
}

describe("nothing hangs or floods on input (Hardening 2, item 4)", () => {
  test("a FIFO as meta.jsonl: report exits 2 naming it", async () => {
    const root = witnessDir({ "train.jsonl": "", "meta.jsonl": null });
    const r = await runCli(["report", root, "--out", join(tmp(), "r.html")], { timeoutMs: HANG_MS });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(root, "witness", "meta.jsonl"));
    expect(r.stderr).toContain("not a regular file");
  });

  test("a FIFO or a device given to trace check, sign, from-mlx and from-hf: exit 2 naming it", async () => {
    const dir = tmp();
    const fifo = fifoIn(dir, "t.json");
    const key = join(dir, "k.pem");
    writeFileSync(key, generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }));
    const cases = [
      ["trace", "check", fifo],
      ["trace", "check", "/dev/zero"],
      ["trace", "sign", fifo, "--key", key, "--out", join(dir, "s.json")],
      ["trace", "sign", "/dev/zero", "--key", key, "--out", join(dir, "s.json")],
      ["trace", "from-mlx", fifo, "--params", "1e9", "--out", join(dir, "m.json")],
      ["trace", "from-hf", fifo, "--out", join(dir, "h.json")],
      ["trace", "sign", join(ROOT, "fixtures/trace/check/spec-minimal.json"), "--key", fifo, "--out", join(dir, "s.json")],
    ];
    for (const args of cases) {
      const r = await runCli(args, { timeoutMs: HANG_MS });
      const named = args.includes("--key") && args[2] !== fifo && args[2] !== "/dev/zero" ? fifo : args[2]!;
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toContain(`${named}: not a regular file`);
    }
  });

  test("a trace over its cap is refused naming the file and the cap", async () => {
    const dir = tmp();
    const big = join(dir, "big.json");
    // A sparse file: 300 MiB long, nothing written.
    spawnSync("truncate", ["-s", "300M", big]);
    const r = await runCli(["trace", "check", big], { timeoutMs: HANG_MS });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${big}: `);
    expect(r.stderr).toContain("over the 256 MiB limit");
  });
});

describe("nothing from a model or a dataset reaches the terminal raw (Hardening 2, item 6)", () => {
  test("verify: a failing command holding ESC sequences and a newline is printed escaped, with no forged summary line", async () => {
    const dir = tmp();
    const file = join(dir, "d.jsonl");
    const answer = 'Run this:\n\n```sh\nfalse "\x1b]0;pwned\x07\x1b[2J\n0 passed, 0 failed"\nwitness verify -p p.json\n```\n';
    writeFileSync(
      file,
      `${JSON.stringify({
        messages: [
          { role: "user", content: "q" },
          { role: "assistant", content: answer },
        ],
      })}\n`,
    );
    const r = await runCli(["verify", file, "--host"], { timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("failed at: false \\x1b]0;pwned\\x07\\x1b[2J");
    expect(r.stderr).not.toContain("\x1b");
    expect(r.stderr).not.toContain("\x07");
    expect(r.stderr.split("\n")).not.toContain("0 passed, 0 failed");
    expect(r.stderr.split("\n")).toContain("0 passed, 1 failed");
  });
});
