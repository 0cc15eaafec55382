// needs: docker
import { expect } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binCommand, cleanEnv, ROOT, runCli } from "../helpers/cli.ts";
import { labelled } from "../helpers/docker.ts";
import { dockerPresent, testWith } from "../helpers/deps.ts";
import { startFakeOpenAI } from "../helpers/openai-server.ts";
import { composeBuiltin } from "../../src/shell/builtin/compose.ts";

const DOCKER = dockerPresent();
const out = () => mkdtempSync(join(tmpdir(), "sekft-shell-"));

testWith(
  DOCKER,
  "gen --track shell keeps gated bundles, verify re-gates them, no container outlives the run",
  async () => {
    const dir = out();
    const gen = await runCli(["gen", "--track", "shell", "--count", "6", "--workers", "2", "--out", dir, "--seed", "3"]);
    expect(gen.stderr).toContain("kept 6/6 bundles");
    expect(gen.code).toBe(0);
    expect(await labelled()).toBe(0);
    const files = readdirSync(join(dir, "shell/bundles"));
    expect(files).toHaveLength(6);
    const bundle = JSON.parse(readFileSync(join(dir, "shell/bundles", files[0]!), "utf8"));
    expect(bundle.image.id).toStartWith("sha256:");
    expect(bundle.gate.passed).toBe(true);

    const ok = await runCli(["verify", dir, "--workers", "2", "--json"]);
    expect(ok.stderr).toContain("6 passed, 0 failed");
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).passed).toBe(6);

    // A checker edited to always pass no longer matches its id, and fails verification.
    writeFileSync(
      join(dir, "shell/bundles", files[1]!),
      JSON.stringify({ ...JSON.parse(readFileSync(join(dir, "shell/bundles", files[1]!), "utf8")), checker: "exit 0\n" }),
    );
    const bad = await runCli(["verify", dir, "--workers", "2"]);
    expect(bad.stderr).toContain("5 passed, 1 failed");
    expect(bad.code).toBe(1);

    writeFileSync(join(dir, "shell/bundles", "zz.json"), "{not json");
    expect((await runCli(["verify", dir])).code).toBe(2);
    expect(await labelled()).toBe(0);
  },
  600_000,
);

testWith(
  DOCKER,
  "SIGINT during gen exits 130 and leaves no container",
  async () => {
    const dir = out();
    const proc = Bun.spawn([...binCommand(), "gen", "--track", "shell", "--count", "40", "--workers", "2", "--out", dir], {
      cwd: ROOT,
      env: cleanEnv(),
      stdout: "pipe",
      stderr: "pipe",
    });
    // Wait for real work: a labelled container exists (polling the engine, not a fixed sleep).
    while ((await labelled(proc.pid)) === 0) await Bun.sleep(25);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    expect(await labelled(proc.pid)).toBe(0);
  },
  120_000,
);

testWith(
  DOCKER,
  "model authoring: malformed JSON and unsafe bundles are rejected with reasons; a teacher that never succeeds exits 1",
  async () => {
    const cell = { task: "file_content", provider: "subcommand", announcement: "motd", doc_depth: "help", difficulty: "single" };
    const good = composeBuiltin(cell, 9);
    // Invalid JSON last: the teacher retries it internally, so it surfaces as the final reason.
    const replies = [
      JSON.stringify({ ...good, fixtures: [...good.fixtures, { path: "/home/op/../../etc/shadow", type: "file", content: "x", mode: 420, owner: "op" }] }),
      JSON.stringify({ ...good, fixtures: [...good.fixtures, { path: "/home/op/dev", type: "chardev", mode: 420, owner: "op" }] }),
      "this is not json {",
    ];
    const server = await startFakeOpenAI((_body, _req, n) => ({
      content: replies[(n - 1) % replies.length]!,
      usage: { prompt_tokens: 10, completion_tokens: 20 },
    }));
    try {
      const dir = out();
      const cfg = join(dir, "teacher.toml");
      writeFileSync(cfg, `[shell.teacher]\nbase_url = "${server.url}"\nmodel = "fake"\nmax_attempts = 3\nconcurrency = 2\n`);
      const r = await runCli(["gen", "--track", "shell", "--author", "model", "--count", "1", "--out", dir, "--config", cfg], {
        env: cleanEnv({ OPENAI_API_KEY: "sk-test-secret-123" }),
      });
      expect(r.code).toBe(1);
      const rejects = readFileSync(join(dir, "shell/rejects.jsonl"), "utf8");
      expect(rejects).toContain("fixture path escape");
      expect(rejects).toContain("device and special files are not allowed");
      expect(rejects).toContain("invalid JSON");
      expect(rejects + r.stderr).not.toContain("sk-test-secret-123");
      expect(existsSync("/etc/shadow-x")).toBe(false);
      expect(await labelled()).toBe(0);
    } finally {
      await server.close();
    }
  },
  120_000,
);

testWith(
  DOCKER,
  "model authoring: a valid teacher bundle is gated and records its token usage",
  async () => {
    const server = await startFakeOpenAI((body) => {
      const cell = JSON.parse(body.messages[1].content);
      return { content: JSON.stringify(composeBuiltin(cell, 2)), usage: { prompt_tokens: 100, completion_tokens: 50 } };
    });
    try {
      const dir = out();
      const cfg = join(dir, "teacher.toml");
      writeFileSync(cfg, `[shell.teacher]\nbase_url = "${server.url}"\nmodel = "fake"\n`);
      const r = await runCli(["gen", "--track", "shell", "--author", "model", "--count", "2", "--workers", "2", "--out", dir, "--config", cfg], {
        env: cleanEnv({ OPENAI_API_KEY: "sk-x" }),
      });
      expect(r.code).toBe(0);
      const files = readdirSync(join(dir, "shell/bundles"));
      const bundle = JSON.parse(readFileSync(join(dir, "shell/bundles", files[0]!), "utf8"));
      expect(bundle.author).toMatchObject({ kind: "model", model: "fake", usage: { prompt_tokens: 100, completion_tokens: 50 } });
    } finally {
      await server.close();
    }
  },
  120_000,
);

testWith(
  DOCKER,
  "sandbox build --offline, check and clean",
  async () => {
    const build = await runCli(["sandbox", "build", "--offline"]);
    expect(build.code).toBe(0);
    expect(build.stdout).toStartWith("sha256:");
    const check = await runCli(["sandbox", "check"]);
    expect(check.code).toBe(0);
    for (const s of ["network: none", "capabilities dropped: ALL", "no-new-privileges", "read-only root: true", build.stdout.trim()])
      expect(check.stdout).toContain(s);
    // Read from inside each kind of exec (issue 19): no capability that reaches the host, the profile in force.
    expect(check.stdout).toMatch(/^operator exec \(read inside\): uid 1000, effective capabilities none, seccomp filter on, no_new_privs on$/m);
    expect(check.stdout).toMatch(/^checker exec .*: uid 0, effective capabilities DAC_OVERRIDE,KILL, seccomp filter on, no_new_privs on$/m);
    expect(check.stdout).toMatch(/^verify box script exec \(read inside\): uid 1000, effective capabilities none, seccomp filter on/m);
    expect(check.stdout).toMatch(/^user namespaces: (remapped|not remapped)/m);
    expect(check.stdout).toContain("refused whatever the capabilities: open_by_handle_at");
    expect(check.stdout).not.toContain("DAC_READ_SEARCH");
    const doctor = await runCli(["doctor", "--json"]);
    const sandbox = (JSON.parse(doctor.stdout) as { checks: { name: string; ok: boolean; version?: string }[] }).checks.find((c) => c.name === "sandbox");
    expect(sandbox).toMatchObject({ ok: true, version: expect.stringContaining("operator caps none; checker (root) caps DAC_OVERRIDE,KILL; seccomp on") });
  },
  120_000,
);

testWith(DOCKER, "an unreachable Docker is a clear exit-2 error", async () => {
  const r = await runCli(["sandbox", "check"], { env: cleanEnv({ DOCKER_HOST: "unix:///nonexistent/docker.sock" }) });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("Docker is not reachable at unix:///nonexistent/docker.sock — is the daemon running?");
});
