// needs: witness docker
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, ROOT, runCli } from "../helpers/cli.ts";
import { dockerPresent, testWith } from "../helpers/deps.ts";
import { startFakeOpenAI } from "../helpers/openai-server.ts";

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

describe("right exit codes and clear words (Hardening 2, item 8)", () => {
  test("a TOML file nested 40,000 deep is a config error naming the file (exit 2), not a stack overflow", async () => {
    const file = join(tmp(), "deep.toml");
    writeFileSync(file, `a = ${"[".repeat(40_000)}1${"]".repeat(40_000)}\n`);
    const r = await runCli(["config", "check", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: `);
    expect(r.stderr).not.toContain("Maximum call stack");
  });

  test("--out naming an existing regular file is a usage error naming it (exit 2), not a raw ENOTDIR", async () => {
    const file = join(tmp(), "taken");
    writeFileSync(file, "x");
    for (const args of [
      ["gen", "--out", file, "--count", "1"],
      ["gen", "--track", "shell", "--out", file, "--count", "1"],
      ["merge", file, tmp()],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toContain(`${file}: exists and is not a directory`);
      expect(r.stderr, args.join(" ")).not.toContain("ENOTDIR");
    }
  });

  test("a chat JSONL file that starts with a UTF-8 byte order mark is read (stats counts its lines)", async () => {
    const file = join(tmp(), "bom.jsonl");
    const line = JSON.stringify({
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: "a" },
      ],
    });
    writeFileSync(file, `\ufeff${line}\n${line}\n`);
    const r = await runCli(["stats", file, "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).examples).toBe(2);
  });

  test("doctor with no witness anywhere prints its report and exits 2 (no spawn error)", async () => {
    const env = cleanEnv({ SEKFT_TOOLS_DIR: tmp(), PATH: "/usr/bin:/bin" });
    delete env.SEKFT_WITNESS;
    const r = await runCli(["doctor"], { env, timeoutMs: 120_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^MISS {2}witness /m);
    expect(r.stderr).toMatch(/^ok {4}openssl /m);
    expect(r.stderr).not.toContain("posix_spawn");
  });

  test("sekft with no arguments prints the usage on stderr and exits 2", async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("USAGE sekft");
  });

  test("an unknown command with --help is named, with the usage on stderr, exit 2", async () => {
    for (const args of [["nosuch", "--help"], ["trace", "nosuch", "--help"], ["nosuch"]]) {
      const r = await runCli(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout, args.join(" ")).toBe("");
      expect(r.stderr, args.join(" ")).toContain('unknown command "nosuch"');
      expect(r.stderr, args.join(" ")).toContain("USAGE sekft");
    }
  });

  test("gen --help offers only the tracks gen makes", async () => {
    const r = await runCli(["gen", "--help"]);
    expect(r.code).toBe(0);
    const line = r.stdout.split("\n").find((l) => l.includes("--track"));
    expect(line).toContain("witness | shell");
    expect(line).not.toContain("rollout");
  });

  test("help has no colour codes when stdout is not a terminal, with or without NO_COLOR", async () => {
    for (const noColor of [undefined, "true"]) {
      const env = cleanEnv();
      if (noColor === undefined) delete env.NO_COLOR;
      else env.NO_COLOR = noColor;
      for (const args of [["--help"], ["gen", "--help"], []]) {
        const r = await runCli(args, { env });
        expect(r.stdout + r.stderr, `${args.join(" ")} NO_COLOR=${noColor}`).toContain("USAGE");
        expect(r.stdout + r.stderr, `${args.join(" ")} NO_COLOR=${noColor}`).not.toContain("\x1b[");
      }
    }
  });

  testWith(
    dockerPresent(),
    "a failing teacher endpoint: no success tick for 0 kept, and the error names its base_url but never the key",
    async () => {
      // The endpoint answers (so the preflight passes) but every completion fails: a dead one fails the preflight with exit 2.
      const server = await startFakeOpenAI(() => ({ status: 503, content: "down" }));
      try {
        const dir = tmp();
        const cfg = join(dir, "teacher.toml");
        writeFileSync(cfg, `[shell.teacher]\nbase_url = "${server.url}"\nmodel = "m"\nmax_attempts = 1\ntimeout_s = 5\n`);
        const key = "sk-dead-endpoint-1a2b3c";
        const r = await runCli(["gen", "--track", "shell", "--author", "model", "--count", "2", "--workers", "2", "--out", join(dir, "out"), "--config", cfg], {
          env: cleanEnv({ OPENAI_API_KEY: key }),
          timeoutMs: 200_000,
        });
        expect(r.code).toBe(1);
        expect(r.stderr).not.toContain("✔");
        expect(r.stderr).toContain("kept 0/2");
        const error = r.stderr.slice(r.stderr.indexOf("ERROR"));
        expect(error).toContain(server.url);
        expect(r.stderr).not.toContain(key);
      } finally {
        await server.close();
      }
    },
    300_000,
  );
});
