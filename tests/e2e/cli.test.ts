// needs: witness docker
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, ROOT, runCli } from "../helpers/cli.ts";

const F = (name: string): string => join(ROOT, "fixtures/configs", name);
const BIN = join(ROOT, "dist/sekft");

describe("command line", () => {
  test("--help lists the commands and exits 0", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    for (const c of ["gen", "verify", "stats", "sandbox", "config", "doctor"]) expect(r.stdout + r.stderr).toContain(c);
    expect(r.stdout + r.stderr).not.toMatch(/not implemented/i);
  });

  test("--help works on every command", async () => {
    for (const c of [["gen"], ["verify"], ["stats"], ["config"], ["config", "check"], ["doctor"], ["sandbox"]]) {
      const r = await runCli([...c, "--help"]);
      expect(r.code, c.join(" ")).toBe(0);
      expect(r.stdout + r.stderr).toContain("USAGE");
    }
  });

  test("--version prints the version on stdout", async () => {
    const r = await runCli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test("an unknown command or flag exits 2", async () => {
    expect((await runCli(["frobnicate"])).code).toBe(2);
    const r = await runCli(["gen", "--cuont", "3"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown flag --cuont");
  });

  test("--verbose, a README common flag, is accepted by every command; unknown flags are refused by subcommands too", async () => {
    for (const args of [
      ["config", "check"],
      ["config", "print"],
      ["doctor", "--json"],
    ]) {
      const r = await runCli([...args, "--verbose"], { env: cleanEnv({ DOCKER_HOST: "unix:///nonexistent/docker.sock" }) });
      expect(r.stderr).not.toContain("unknown flag");
    }
    expect((await runCli(["config", "check", "--verbose"])).code).toBe(0);
    const typo = await runCli(["config", "check", "--strict"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown flag --strict");
    const sub = await runCli(["sandbox", "check", "--offlin"]);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain("unknown flag --offlin");
  });

  test("a file-system error is not a usage error: config init into a missing directory names the path", async () => {
    const r = await runCli(["config", "init", "/nonexistent/dir/x.toml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot write /nonexistent/dir/x.toml: no such file or directory");
    expect(r.stderr).not.toContain("--help");
  });

  test("config check: good file 0; syntax, type, unknown key and missing file exit 2 naming line or key", async () => {
    expect((await runCli(["config", "check", F("good.toml")])).code).toBe(0);
    const syntax = await runCli(["config", "check", F("bad-syntax.toml")]);
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toMatch(/bad-syntax\.toml:3:\d+/);
    const type = await runCli(["config", "check", F("bad-type.toml")]);
    expect(type.code).toBe(2);
    expect(type.stderr).toContain("run.workers:");
    const unknown = await runCli(["config", "check", F("unknown-key.toml")]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("run.wrokers: unknown key");
    const missing = await runCli(["config", "check", F("missing.toml")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no such config file");
  });

  test("config print emits TOML that config check accepts, with file values applied", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sekft-print-"));
    const r = await runCli(["config", "print", F("good.toml")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("seed = 7");
    writeFileSync(join(dir, "printed.toml"), r.stdout);
    expect((await runCli(["config", "check", join(dir, "printed.toml")])).code).toBe(0);
  });

  test("config init writes a commented starter and refuses to overwrite", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "sekft-init-")), "sekft.toml");
    expect((await runCli(["config", "init", file])).code).toBe(0);
    expect(readFileSync(file, "utf8")).toContain("# sekft configuration");
    expect((await runCli(["config", "check", file])).code).toBe(0);
    const again = await runCli(["config", "init", file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already exists");
  });

  test("doctor --json reports every dependency; a dead Docker host exits 2 with a fix", async () => {
    const ok = await runCli(["doctor", "--json"]);
    const report = JSON.parse(ok.stdout) as { checks: { name: string; ok: boolean }[] };
    expect(report.checks.map((c) => c.name)).toEqual(["witness", "openssl", "git", "jq", "docker", "dash", "busybox", "packages", "build-tools", "sandbox"]);
    const dead = await runCli(["doctor"], { env: cleanEnv({ DOCKER_HOST: "unix:///nonexistent/docker.sock" }) });
    expect(dead.code).toBe(2);
    expect(dead.stderr).toContain("Docker is not reachable at unix:///nonexistent/docker.sock");
  });

  test("a missing input file exits 2 naming it", async () => {
    const r = await runCli(["stats", "/nonexistent/data.jsonl"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("/nonexistent/data.jsonl");
  });

  test("the compiled binary runs: --version, --help, config print, a bad config", async () => {
    expect(existsSync(BIN)).toBe(true);
    expect((await runCli(["--version"], { bin: BIN })).code).toBe(0);
    expect((await runCli(["--help"], { bin: BIN })).code).toBe(0);
    const p = await runCli(["config", "print"], { bin: BIN, cwd: mkdtempSync(join(tmpdir(), "sekft-bin-")) });
    expect(p.code).toBe(0);
    expect(p.stdout).toContain("[witness]");
    expect((await runCli(["config", "check", F("bad-type.toml")], { bin: BIN })).code).toBe(2);
  });
});
