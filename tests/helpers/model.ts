import { join } from "node:path";
import { ROOT } from "./cli.ts";
import { requireNeed } from "./needs.ts";

export type ModelName = "smollm2" | "qwen";

export interface RunningModel {
  /** The OpenAI base URL, http://127.0.0.1:PORT/v1. */
  url: string;
  /** The model's name as the server reports it (/v1/models). */
  model: string;
  /** Seconds from spawn to a healthy server. */
  loadSeconds: number;
  /** Kills the server's process group and waits for it. */
  stop(): Promise<void>;
}

const SCRIPT = join(ROOT, "scripts/model.sh");

/** Whether `scripts/model.sh install NAME` has filled the cache (the script answers from its own pins). */
export function modelInstalled(name: ModelName): boolean {
  requireNeed("model");
  return Bun.spawnSync(["bash", SCRIPT, "path", name], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
}

const running = new Set<RunningModel>();

/**
 * Serves a cached model on a free loopback port with one thread (two collapse on a shared 2-core machine)
 * and waits for its URL, printed once /health answers. Pair it with `stopAllModels` in afterAll.
 */
export async function startModel(name: ModelName, timeoutMs = 120_000): Promise<RunningModel> {
  requireNeed("model");
  const started = performance.now();
  const proc = Bun.spawn(["bash", SCRIPT, "serve", name, "--port", "0", "--threads", "1", "--exit-with-parent"], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
    detached: true, // its own process group: stop() kills the venv's python with it
  });
  const kill = async () => {
    try {
      process.kill(-proc.pid, "SIGTERM");
    } catch {}
    const timer = setTimeout(() => {
      try {
        process.kill(-proc.pid, "SIGKILL");
      } catch {}
    }, 5_000);
    await proc.exited;
    clearTimeout(timer);
  };
  const stderr = new Response(proc.stderr).text();
  const timer = setTimeout(() => void kill(), timeoutMs);
  const reader = proc.stdout.getReader();
  let out = "";
  while (!out.includes("\n")) {
    const chunk = await reader.read();
    if (chunk.done) break;
    out += new TextDecoder().decode(chunk.value);
  }
  clearTimeout(timer);
  reader.releaseLock();
  const url = out.split("\n")[0]!.trim();
  if (!/^http:\/\/127\.0\.0\.1:\d+\/v1$/.test(url)) {
    await kill();
    throw new Error(`scripts/model.sh serve ${name} printed no URL within ${timeoutMs / 1000}s: ${(await stderr).slice(-2000)}`);
  }
  const models = (await (await fetch(`${url}/models`)).json()) as { data: { id: string }[] };
  const handle: RunningModel = {
    url,
    model: models.data[0]!.id,
    loadSeconds: (performance.now() - started) / 1000,
    stop: async () => {
      running.delete(handle);
      await kill();
    },
  };
  running.add(handle);
  return handle;
}

/** Stops every model this test file started: no server outlives its tests. */
export async function stopAllModels(): Promise<void> {
  await Promise.all([...running].map((m) => m.stop()));
}
