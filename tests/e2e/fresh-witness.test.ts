// needs: witness
import { describe, expect, test } from "bun:test";
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { IN_CI, ROOT } from "../helpers/cli.ts";

// The module mirror beside the checkout (../shared/goproxy), or the one the test command was given.
const MIRROR = process.env.SEKFT_GOPROXY_DIR ?? resolve(ROOT, "../shared/goproxy");
const haveMirror = existsSync(join(MIRROR, "github.com/in-toto/witness/@v/v0.11.0.zip"));
const haveGo = Bun.which("go") !== null;

async function buildWitness(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const proc = Bun.spawn(["bash", join(ROOT, "scripts/build-witness.sh")], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  return { code, stderr };
}

/** Go marks module-cache files read-only; make a temp module cache removable. */
function removeTree(dir: string): void {
  const walk = (d: string): void => {
    chmodSync(d, 0o755);
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
  };
  if (existsSync(dir)) walk(dir);
  rmSync(dir, { recursive: true, force: true });
}

describe("witness on a fresh machine", () => {
  const run = haveMirror && haveGo ? test : IN_CI ? test : test.skip;

  run(
    "builds witness v0.11.0 from the module mirror into an empty tools directory, with an empty module cache",
    async () => {
      expect(haveMirror).toBe(true);
      const work = mkdtempSync(join(tmpdir(), "sekft-fresh-"));
      try {
        const tools = join(work, "tools");
        // A fresh module cache: witness and omnitrail-go can only come from the mirror (the proxy here refuses
        // them); every other module comes from the normal proxy. Go's build cache is shared: it only saves compiling.
        const r = await buildWitness({ SEKFT_TOOLS_DIR: tools, SEKFT_GOPROXY_DIR: MIRROR, GOMODCACHE: join(work, "mod"), GOFLAGS: "-modcacherw" });
        expect(r.stderr).not.toContain("setup failed");
        expect(r.code).toBe(0);
        const bin = join(tools, "witness-v0.11.0/witness");
        const version = Bun.spawnSync([bin, "version"]).stdout.toString().trim();
        expect(version).toBe("witness v0.11.0");
        expect(readdirSync(tools).filter((f) => f.startsWith(".witness-build"))).toEqual([]);
      } finally {
        removeTree(work);
      }
    },
    900_000,
  );

  run("a mirror whose zip differs from the pinned sha256 stops the build, naming the file", async () => {
    const work = mkdtempSync(join(tmpdir(), "sekft-badmirror-"));
    try {
      const mirror = join(work, "goproxy");
      cpSync(MIRROR, mirror, { recursive: true });
      const zip = join(mirror, "github.com/fkautz/omnitrail-go/@v/v0.0.0-20240613153526-999f2e7d0fc9.zip");
      writeFileSync(zip, "not the pinned zip");
      const r = await buildWitness({ SEKFT_TOOLS_DIR: join(work, "tools"), SEKFT_GOPROXY_DIR: mirror });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`module mirror file ${zip} has sha256`);
      expect(r.stderr).toContain("7f522db39d5df6826a817c7d8269041e86b7de04ad776348759e08a0d44af722");
      expect(existsSync(join(work, "tools/witness-v0.11.0/witness"))).toBe(false);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  run("a mirror path that is not a directory is refused by name", async () => {
    const r = await buildWitness({ SEKFT_TOOLS_DIR: mkdtempSync(join(tmpdir(), "sekft-tools-")), SEKFT_GOPROXY_DIR: "/nonexistent/goproxy" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("SEKFT_GOPROXY_DIR=/nonexistent/goproxy is not a directory");
  });
});
