// needs: witness
import { afterAll, beforeAll, describe, expect } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ROOT, runCli } from "../helpers/cli.ts";
import { testWith, witnessBin } from "../helpers/deps.ts";

// The README's "From the release binary": sekft and witness side by side in an empty directory, a PATH with
// only openssl, git, jq and POSIX utilities (no Go, Node, Python, compilers, dpkg or Docker), an empty HOME.
const BIN = resolve(ROOT, process.env.SEKFT_BIN ?? "dist/sekft");
const WITNESS = witnessBin();
const TOOLS = ["openssl", "git", "jq"];
// POSIX utilities the answers' scripts and witness's git attestor call (sh is dash on Debian).
const POSIX = [
  "sh",
  "cat",
  "ls",
  "mkdir",
  "rm",
  "cp",
  "mv",
  "sed",
  "grep",
  "awk",
  "tar",
  "gzip",
  "env",
  "printf",
  "echo",
  "test",
  "[",
  "tr",
  "cut",
  "head",
  "tail",
  "wc",
  "sort",
  "uniq",
  "date",
  "basename",
  "dirname",
  "touch",
  "chmod",
  "find",
  "xargs",
  "mktemp",
  "sleep",
  "true",
  "false",
  "expr",
  "tee",
  "od",
  "id",
  "uname",
  "diff",
  "cmp",
  "ln",
  "pwd",
];

let root = "";
let app = "";
let env: Record<string, string> = {};

beforeAll(() => {
  if (!WITNESS || !existsSync(BIN)) return;
  root = mkdtempSync(join(tmpdir(), "sekft-release-"));
  app = join(root, "app");
  const path = join(root, "path");
  const home = join(root, "home");
  for (const d of [app, path, home]) mkdirSync(d);
  copyFileSync(BIN, join(app, "sekft"));
  copyFileSync(WITNESS, join(app, "witness"));
  Bun.spawnSync(["chmod", "+x", join(app, "sekft"), join(app, "witness")]);
  for (const tool of [...TOOLS, ...POSIX]) {
    const found = Bun.which(tool, { PATH: "/usr/bin:/bin" });
    if (!found) throw new Error(`${tool} is not installed on this machine; the test builds its PATH from it`);
    symlinkSync(found, join(path, tool));
  }
  // No engine: the shell track's pieces are absent, as on a machine without Docker.
  env = { PATH: path, HOME: home, NO_COLOR: "1", TMPDIR: tmpdir(), DOCKER_HOST: "unix:///nonexistent/docker.sock" };
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("from the release binary: sekft and witness in an empty directory", () => {
  const ready = Boolean(WITNESS) && existsSync(BIN);

  testWith(
    ready,
    "doctor finds witness beside sekft, names Docker as missing with how to get it and what needs it, and exits 2; --track witness exits 0",
    async () => {
      const r = await runCli(["doctor"], { bin: join(app, "sekft"), cwd: root, env });
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(/TypeError|posix_spawn|^\s+at /m);
      expect(r.stderr).toMatch(new RegExp(`^ok {4}witness {5}witness v0\\.11\\.0 {2}\\(${app}/witness\\)$`, "m"));
      for (const tool of TOOLS) expect(r.stderr).toMatch(new RegExp(`^ok {4}${tool} `, "m"));
      expect(r.stderr).toMatch(/^MISS {2}docker {6}Docker is not reachable at unix:\/\/\/nonexistent\/docker\.sock.*install Docker Engine/m);
      expect(r.stderr).toContain(
        "needed by: gen --track shell, rollout, sandbox, eval of bundles, and verify's default sandbox (without Docker: verify --host)",
      );
      // No dpkg-query on this PATH: a warning saying what gen leaves out, not a failure.
      expect(r.stderr).toMatch(/^warn {2}packages {4}neither dpkg-query nor rpm is on PATH: gen leaves the system-packages attestor out$/m);
      expect(r.stderr).toMatch(/^warn {2}build-tools \d+ of \d+ commands can run \(.*\); absent: .*\bgo\b.*\bcargo\b/m);
      expect(r.stderr).toContain("witness track (gen --track witness, verify --host): ready");
      expect(r.stderr).toContain("shell track (gen --track shell, rollout, sandboxed verify): not ready, missing docker");
      expect(r.stderr).toContain("missing: docker");

      const json = await runCli(["doctor", "--json"], { bin: join(app, "sekft"), cwd: root, env });
      const report = JSON.parse(json.stdout) as { ok: boolean; checks: { name: string; ok: boolean; required: boolean }[] };
      expect(report.ok).toBe(false);
      expect(report.checks.filter((c) => !c.ok && c.required).map((c) => c.name)).toEqual(["docker"]);

      const witnessOnly = await runCli(["doctor", "--track", "witness"], { bin: join(app, "sekft"), cwd: root, env });
      expect(witnessOnly.stderr).toMatch(/^warn {2}docker /m);
      expect(witnessOnly.code).toBe(0);
    },
    120_000,
  );

  testWith(
    ready,
    "doctor without witness names every way to get it and exits 2 for the witness track",
    async () => {
      const bare = join(root, "bare");
      mkdirSync(bare, { recursive: true });
      copyFileSync(join(app, "sekft"), join(bare, "sekft"));
      Bun.spawnSync(["chmod", "+x", join(bare, "sekft")]);
      const r = await runCli(["doctor", "--track", "witness"], { bin: join(bare, "sekft"), cwd: root, env });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^MISS {2}witness {5}Put witness v0\.11\.0 beside sekft/m);
      expect(r.stderr).toContain("github.com/in-toto/witness/releases");
      expect(r.stderr).toContain("go install github.com/in-toto/witness@v0.11.0");
      expect(r.stderr).toContain("witness track (gen --track witness, verify --host): not ready, missing witness");
      const gen = await runCli(["gen", "--count", "1", "--out", join(root, "none")], { bin: join(bare, "sekft"), cwd: root, env });
      expect(gen.code).toBe(2);
      expect(gen.stderr).toContain("witness v0.11.0 not found");
      expect(existsSync(join(root, "none/witness/manifest.json"))).toBe(false);
    },
    120_000,
  );

  testWith(
    ready,
    "gen --track witness --count 3 makes a dataset with nothing else, and verify --host passes every line",
    async () => {
      const out = join(root, "out");
      const gen = await runCli(["gen", "--track", "witness", "--count", "3", "--out", out], { bin: join(app, "sekft"), cwd: root, env, timeoutMs: 900_000 });
      expect(gen.stderr).toContain("kept 3");
      expect(gen.code).toBe(0);
      // Left out for what this machine lacks, once per tool, never a failure.
      expect(gen.stderr).toContain("skipping attestor system-packages");
      expect(gen.stderr).toMatch(/skipping commands go-build, go-test-binary, go-test-report, go-vet: go does not work here/);
      const manifest = JSON.parse(readFileSync(join(out, "witness/manifest.json"), "utf8")) as { track: string };
      expect(manifest.track).toBe("witness");
      const verify = await runCli(["verify", "--host", join(out, "witness")], { bin: join(app, "sekft"), cwd: root, env, timeoutMs: 900_000 });
      expect(verify.stderr).toContain("3 passed, 0 failed");
      expect(verify.code).toBe(0);
    },
    1_800_000,
  );
});
