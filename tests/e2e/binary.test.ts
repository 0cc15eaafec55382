// needs: witness docker
import { describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, ROOT, runCli } from "../helpers/cli.ts";
import { testWith, witnessBin } from "../helpers/deps.ts";

/** A copy of a binary alone in an empty directory: no checkout, no config.toml, no Dockerfile beside it. */
function alone(src: string): { dir: string; bin: string } {
  const dir = mkdtempSync(join(tmpdir(), "sekft-alone-"));
  const bin = join(dir, "sekft");
  copyFileSync(src, bin);
  Bun.spawnSync(["chmod", "+x", bin]);
  return { dir, bin };
}

describe("one binary, anywhere", () => {
  testWith(
    Boolean(witnessBin()),
    "dist/sekft copied alone to an empty directory runs sandbox build --offline, gen and verify",
    async () => {
      const { dir, bin } = alone(join(ROOT, "dist/sekft"));
      const opts = { bin, cwd: dir, env: cleanEnv() };
      const build = await runCli(["sandbox", "build", "--offline"], opts);
      expect(build.stderr).toContain("offline");
      expect(build.code).toBe(0);
      const gen = await runCli(["gen", "--count", "1", "--workers", "1", "--out", "out"], opts);
      expect(gen.stderr).toContain("kept 1");
      expect(gen.code).toBe(0);
      const file = ["train.jsonl", "valid.jsonl"].map((f) => join(dir, "out/witness", f)).find((f) => existsSync(f) && readFileSync(f, "utf8").trim() !== "")!;
      const verify = await runCli(["verify", file], opts);
      expect(verify.stderr).toContain("1 passed, 0 failed");
      expect(verify.code).toBe(0);
    },
    600_000,
  );

  test("the online sandbox build reads the Dockerfile embedded in the binary, not one beside it", async () => {
    const { dir, bin } = alone(join(ROOT, "dist/sekft"));
    // A dead engine: the command must get as far as the engine, never fail on a missing Dockerfile.
    const r = await runCli(["sandbox", "build"], { bin, cwd: dir, env: cleanEnv({ DOCKER_HOST: "unix:///nonexistent/docker.sock" }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Docker is not reachable at unix:///nonexistent/docker.sock");
    expect(r.stderr).not.toMatch(/Dockerfile|ENOENT/);
  });

  test("scripts/release.sh cross-compiles four targets with SHA256SUMS; the linux-x64 build runs from an empty directory", async () => {
    const proc = Bun.spawn(["bash", join(ROOT, "scripts/release.sh")], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(stderr).not.toContain("release failed");
    expect(code).toBe(0);
    const rel = join(ROOT, "dist/release");
    const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;
    const sums = readFileSync(join(rel, "SHA256SUMS"), "utf8").trim().split("\n");
    const targets = ["linux-x64", "linux-arm64", "darwin-arm64", "darwin-x64"];
    expect(sums.map((l) => l.split(/\s+/)[1]).sort()).toEqual(targets.map((t) => `sekft-${version}-${t}`).sort());
    for (const line of sums) {
      const [sum, name] = line.split(/\s+/) as [string, string];
      expect(existsSync(join(rel, name))).toBe(true);
      expect(new Bun.CryptoHasher("sha256").update(readFileSync(join(rel, name))).digest("hex")).toBe(sum);
    }
    const { dir, bin } = alone(join(rel, `sekft-${version}-linux-x64`));
    const v = await runCli(["--version"], { bin, cwd: dir });
    expect(v.stdout.trim()).toBe(version);
    const p = await runCli(["config", "print"], { bin, cwd: dir });
    expect(p.code).toBe(0);
    expect(p.stdout).toContain("[witness]");
  }, 300_000);
});
