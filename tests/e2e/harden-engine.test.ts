// needs: witness docker
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import Docker from "dockerode";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binCommand, cleanEnv, ROOT, runCli } from "../helpers/cli.ts";
import { labelled } from "../helpers/docker.ts";
import { dockerPresent, testWith } from "../helpers/deps.ts";

// An engine that accepts every connection and never answers (issue 14, item 4).
const dir = mkdtempSync(join(tmpdir(), "sekft-harden-engine-"));
const sock = join(dir, "silent.sock");
const host = `unix://${sock}`;
const held: Socket[] = [];
let server: Server;

beforeAll(async () => {
  server = createServer((s) => {
    held.push(s);
    s.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
});
afterAll(() => {
  for (const s of held) s.destroy();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function config(seconds: number): string {
  const file = join(dir, `engine-${seconds}.toml`);
  writeFileSync(file, `[shell.sandbox]\nengine_timeout_s = ${seconds}\n`);
  return file;
}

describe("a silent engine", () => {
  test("sandbox check and gen --track shell end at the call deadline with a message naming the engine address", async () => {
    for (const args of [
      ["sandbox", "check", "--config", config(2)],
      ["gen", "--track", "shell", "--count", "1", "--out", join(dir, "out"), "--config", config(2)],
    ]) {
      const started = performance.now();
      const r = await runCli(args, { env: cleanEnv({ DOCKER_HOST: host }), timeoutMs: 60_000 });
      const secs = (performance.now() - started) / 1000;
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`Docker at ${host} did not answer a ping within 2s`);
      expect(secs).toBeLessThan(30);
    }
  }, 120_000);

  test("the first SIGTERM (143) or SIGINT (130) ends a run waiting on the engine", async () => {
    for (const [sig, code] of [
      ["SIGTERM", 143],
      ["SIGINT", 130],
    ] as const) {
      const proc = Bun.spawn([...binCommand(), "gen", "--track", "shell", "--count", "1", "--out", join(dir, "out2")], {
        cwd: ROOT,
        env: cleanEnv({ DOCKER_HOST: host }),
        stdout: "pipe",
        stderr: "pipe",
      });
      // Wait until it is connected to the silent engine, then signal once.
      const before = held.length;
      while (held.length === before) await Bun.sleep(20);
      const sent = performance.now();
      proc.kill(sig);
      const killer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
      const exit = await proc.exited;
      clearTimeout(killer);
      expect(exit, sig).toBe(code);
      expect(performance.now() - sent).toBeLessThan(10_000);
    }
  }, 120_000);

  testWith(
    dockerPresent(),
    "an engine that freezes during the gate is retried, then reported as infra, never as a flaky reference",
    async () => {
      // A pass-through to the real engine that freezes for good once the first container create goes by.
      const proxySock = join(dir, "freezing.sock");
      let frozen = false;
      const proxy = createServer((client) => {
        const upstream = connect("/var/run/docker.sock");
        held.push(client, upstream);
        client.on("error", () => undefined);
        upstream.on("error", () => undefined);
        client.on("data", (chunk) => {
          if (frozen) return;
          if (/^POST \S*\/containers\/create/m.test(chunk.toString("latin1"))) frozen = true;
          upstream.write(chunk);
        });
        upstream.on("data", (chunk) => {
          if (!frozen) client.write(chunk);
        });
      });
      await new Promise<void>((resolve) => proxy.listen(proxySock, resolve));
      const out = join(dir, "frozen-out");
      const proc = Bun.spawn([...binCommand(), "gen", "--track", "shell", "--count", "1", "--workers", "1", "--out", out, "--config", config(2)], {
        cwd: ROOT,
        env: cleanEnv({ DOCKER_HOST: `unix://${proxySock}` }),
        stdout: "ignore",
        stderr: "pipe",
      });
      try {
        const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
        expect(code, stderr).toBe(1);
        const rejects = readFileSync(join(out, "shell", "rejects.jsonl"), "utf8");
        expect(rejects).toContain(`infra: Docker at unix://${proxySock} did not answer a container create within 2s (twice; not held against the bundle)`);
        expect(rejects).not.toContain("flaky");
      } finally {
        proxy.close();
        // The creates that reached the engine while its answers were held back belong to this test's run.
        const docker = new Docker();
        for (const c of await docker.listContainers({ all: true, filters: { label: [`sekft.pid=${proc.pid}`] } }))
          await docker
            .getContainer(c.Id)
            .remove({ force: true })
            .catch(() => undefined);
      }
    },
    180_000,
  );

  testWith(
    dockerPresent(),
    "SIGTERM during a shell gen on a live engine exits 143 after removing every container of the run",
    async () => {
      const proc = Bun.spawn([...binCommand(), "gen", "--track", "shell", "--count", "40", "--workers", "2", "--out", join(dir, "live")], {
        cwd: ROOT,
        env: cleanEnv(),
        stdout: "ignore",
        stderr: "ignore",
      });
      while ((await labelled(proc.pid)) === 0) await Bun.sleep(25);
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(143);
      expect(await labelled(proc.pid)).toBe(0);
    },
    120_000,
  );

  // Issue 20, item 5: a closed terminal (SIGHUP) cleans up like SIGTERM; before, sekft died at once and the
  // verify container went on running the foreign script.
  testWith(
    dockerPresent() && existsSync(join(process.env.HOME ?? "/root", ".cache/sekft/tools/witness-v0.11.0/witness")),
    "SIGHUP during verify --sandbox exits 129 after removing the container running the foreign script",
    async () => {
      const file = join(dir, "slow.jsonl");
      const answer = "```sh\nsleep 300\nwitness verify -p p.json -k k.pub -a a.json -f f\n```\n";
      const line = {
        messages: [
          { role: "user", content: "q" },
          { role: "assistant", content: answer },
        ],
      };
      writeFileSync(file, `${JSON.stringify(line)}\n`);
      const proc = Bun.spawn([...binCommand(), "verify", file, "--sandbox"], { cwd: ROOT, env: cleanEnv(), stdout: "ignore", stderr: "ignore" });
      while ((await labelled(proc.pid)) === 0) await Bun.sleep(25);
      await Bun.sleep(500);
      proc.kill("SIGHUP");
      expect(await proc.exited).toBe(129);
      expect(await labelled(proc.pid)).toBe(0);
    },
    120_000,
  );

  testWith(
    dockerPresent(),
    "SIGHUP during a shell gen exits 129 after removing every container of the run",
    async () => {
      const proc = Bun.spawn([...binCommand(), "gen", "--track", "shell", "--count", "40", "--workers", "2", "--out", join(dir, "hup")], {
        cwd: ROOT,
        env: cleanEnv(),
        stdout: "ignore",
        stderr: "ignore",
      });
      while ((await labelled(proc.pid)) === 0) await Bun.sleep(25);
      proc.kill("SIGHUP");
      expect(await proc.exited).toBe(129);
      expect(await labelled(proc.pid)).toBe(0);
    },
    120_000,
  );
});
