// needs: docker
import { afterAll, beforeAll, expect } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { Sandbox, sandboxSpec } from "../../src/sandbox/container.ts";
import { DockerEngine } from "../../src/sandbox/docker.ts";
import { Episode } from "../../src/sandbox/episode.ts";
import { openImage, type SandboxImage } from "../../src/sandbox/image.ts";
import { packFixtures } from "../../src/sandbox/fixtures.ts";
import { buildShocker, type Canary, filesHolding, plantCanary, shockerBundle, shockerScenario } from "../helpers/attack.ts";
import { cleanEnv, runCli } from "../helpers/cli.ts";
import { dockerPresent, testWith } from "../helpers/deps.ts";
import { startFakeOpenAI } from "../helpers/openai-server.ts";

// Issue 19: a bundle's checker is untrusted text run as root in the sandbox. Carrying "Shocker" (open a host
// file by its handle through a bind mount), it read root-only host files while the sandbox held
// DAC_READ_SEARCH. Each test puts a canary on the host that must appear in no output.
const DOCKER = dockerPresent();
const shell = loadConfig(undefined).shell;
const signal = new AbortController().signal;
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `sekft-attack-${p}-`));
let canary: Canary;
let shocker: Buffer;
let engine: DockerEngine;
let image: SandboxImage;

beforeAll(async () => {
  if (!DOCKER && process.env.CI !== "true") return;
  canary = plantCanary();
  shocker = await buildShocker(canary.path);
  engine = await DockerEngine.connect(process.env);
  image = await openImage(engine, "sekft-sandbox:latest");
}, 120_000);
afterAll(async () => {
  canary?.[Symbol.dispose]();
  if (engine) await engine[Symbol.asyncDispose]();
});

function bundleDir(leak: "print" | "exit" = "print"): string {
  const dir = tmp("bundles");
  mkdirSync(join(dir, "bundles"));
  writeFileSync(join(dir, "bundles", "shocker.json"), JSON.stringify(shockerBundle(shocker, leak)));
  return dir;
}

testWith(
  DOCKER,
  "a checker carrying a handle-opening binary gets EPERM from open_by_handle_at and reads nothing of the host",
  async () => {
    const scenario = shockerScenario(shocker);
    await using episode = await Episode.open({ engine, image, sandbox: shell.sandbox, signal }, { fixtures: scenario.fixtures, env: scenario.env });
    const r = await episode.check(scenario.checker);
    expect(r.output).toContain("handle refused: errno 001");
    expect(r.output).toContain("probe-ran");
    expect(r.output).not.toContain(canary.secret);
  },
  120_000,
);

testWith(
  DOCKER,
  "sekft's seccomp profile alone refuses file handles: with DAC_READ_SEARCH granted again, open_by_handle_at still answers EPERM",
  async () => {
    const spec = sandboxSpec(image, shell.sandbox, engine.labels());
    spec.HostConfig!.CapAdd = [...(spec.HostConfig!.CapAdd ?? []), "DAC_READ_SEARCH"];
    const container = await engine.create(spec);
    await using box = new Sandbox(engine, container, signal);
    await engine.call("a container start", () => container.start());
    const scenario = shockerScenario(shocker);
    for (const [root, tar] of await packFixtures(scenario.fixtures)) await box.putArchive(root, tar);
    const r = await box.exec(["sh", "-c", scenario.checker], { user: "0:0", maxOutput: 4096, timeoutMs: 30_000 });
    const out = r.stdout + r.stderr;
    expect(out).toContain("handle refused: errno 001");
    expect(out).not.toContain(canary.secret);
  },
  120_000,
);

testWith(
  DOCKER,
  "verify BUNDLE_DIR: a hostile bundle's checker learns nothing of the host, not even one bit through its verdict",
  async () => {
    const dir = bundleDir("exit");
    const r = await runCli(["verify", dir, "--json"], { timeoutMs: 120_000 });
    // Had the read worked, the checker would pass on the untouched state and the gate would refuse the bundle.
    expect(JSON.parse(r.stdout)).toMatchObject({ passed: 1, failed: 0 });
    expect(r.stdout + r.stderr).not.toContain(canary.secret);
    expect(filesHolding(dir, canary.secret)).toEqual([]);
  },
  180_000,
);

testWith(
  DOCKER,
  "rollout: a hostile bundle's checker reads no host file into trajectories, journal or pairs",
  async () => {
    const dir = bundleDir();
    const out = tmp("rollout");
    const r = await runCli(["rollout", dir, "--out", out, "--operator", "reference"], { timeoutMs: 120_000 });
    expect(r.stdout + r.stderr).not.toContain(canary.secret);
    expect(filesHolding(out, canary.secret)).toEqual([]);
  },
  180_000,
);

testWith(
  DOCKER,
  "gen --author model: a teacher reply carrying Shocker reads no host file into bundles, rejects or the journal",
  async () => {
    const server = await startFakeOpenAI((body) => {
      const cell = JSON.parse(body.messages[1].content);
      return { content: JSON.stringify(shockerScenario(shocker, cell, 2)) };
    });
    try {
      const dir = tmp("gen");
      const cfg = join(dir, "teacher.toml");
      writeFileSync(cfg, `[shell.teacher]\nbase_url = "${server.url}"\nmodel = "fake"\nmax_attempts = 1\n`);
      const r = await runCli(["gen", "--track", "shell", "--author", "model", "--count", "2", "--workers", "2", "--out", dir, "--config", cfg], {
        env: cleanEnv({ OPENAI_API_KEY: "sk-x" }),
        timeoutMs: 240_000,
      });
      expect(r.stdout + r.stderr).not.toContain(canary.secret);
      expect(filesHolding(dir, canary.secret)).toEqual([]);
    } finally {
      await server.close();
    }
  },
  300_000,
);
