// needs: witness docker
import { expect } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { binCommand, cleanEnv, ROOT, runCli } from "../helpers/cli.ts";
import { dockerPresent, testWith, witnessBin } from "../helpers/deps.ts";
import { DockerEngine } from "../../src/sandbox/docker.ts";
import { openImage } from "../../src/sandbox/image.ts";
import { loadConfig } from "../../src/config/load.ts";

const DOCKER = dockerPresent();

testWith(
  Boolean(witnessBin()),
  "temp dirs of scripts orphaned by kill -9 of gen are removed by the next run (issue 14, item 10)",
  async () => {
    const tmp = mkdtempSync(join(tmpdir(), "sekft-harden-tmp-"));
    const out = mkdtempSync(join(tmpdir(), "sekft-harden-kill-"));
    const env = cleanEnv({ TMPDIR: tmp });
    const args = ["gen", "--count", "4", "--workers", "2", "--out", out, "--seed", "9"];
    const proc = Bun.spawn([...binCommand(), ...args], { cwd: ROOT, env, stdout: "ignore", stderr: "ignore" });
    const scripts = () => readdirSync(tmp).filter((n) => n.startsWith("sekft-ex-"));
    const deadline = Date.now() + 120_000;
    while (scripts().length === 0 && Date.now() < deadline) await Bun.sleep(20);
    proc.kill("SIGKILL");
    await proc.exited;
    const orphaned = scripts();
    expect(orphaned.length).toBeGreaterThan(0);
    expect(orphaned.every((n) => n.startsWith(`sekft-ex-${proc.pid}-`))).toBe(true);
    // Let the orphaned scripts finish (they belong to no one now), then rerun: their dirs must go.
    spawnSync("sh", ["-c", `while pgrep -f "${tmp}/sekft-ex-" >/dev/null; do sleep 0.2; done`], { timeout: 60_000 });
    const again = await runCli(["gen", "--count", "1", "--workers", "1", "--out", out, "--seed", "9"], { env, timeoutMs: 240_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("temp dir(s) left by killed sekft runs");
    expect(readdirSync(tmp).filter((n) => orphaned.includes(n))).toEqual([]);
  },
  300_000,
);

testWith(
  DOCKER,
  "removing dead runs' containers spares live runs (what `sandbox clean` does without --all)",
  async () => {
    const docker = new Docker();
    const engine = await DockerEngine.connect(process.env);
    const image = await openImage(engine, loadConfig(undefined).shell.image);
    // A process that has exited: its pid is dead.
    const gone = Bun.spawnSync(["true"]).pid;
    const mark = `sekft.test=harden-${process.pid}-${Date.now()}`;
    const make = (pid: number) =>
      docker.createContainer({
        Image: image.id,
        Cmd: ["sleep", "60"],
        Labels: { sekft: "1", "sekft.run": `${pid}-test`, "sekft.pid": String(pid), "sekft.host": hostname(), [mark.split("=")[0]!]: mark.split("=")[1]! },
        HostConfig: { NetworkMode: "none" },
      });
    const dead = await make(gone);
    const live = await make(process.pid);
    try {
      expect(await engine.removeDeadRuns([mark])).toBe(1);
      const left = await docker.listContainers({ all: true, filters: { label: [mark] } });
      expect(left.map((c) => c.Id)).toEqual([live.id]);
    } finally {
      for (const c of [dead, live]) await c.remove({ force: true }).catch(() => undefined);
      await engine[Symbol.asyncDispose]();
    }
  },
  60_000,
);
