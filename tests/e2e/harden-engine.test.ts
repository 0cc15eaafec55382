import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binCommand, cleanEnv, ROOT, runCli } from "../helpers/cli.ts";

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
});
