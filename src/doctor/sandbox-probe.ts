import { hostname } from "node:os";
import type { ShellConfig } from "../config/shell-schema.ts";
import { Demux, sandboxSpec } from "../sandbox/container.ts";
import type { SandboxImage } from "../sandbox/image.ts";
import { type ExecSecurity, parseStatus } from "../sandbox/security.ts";
import { dockerEndpoint } from "./docker-ping.ts";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * What the sandbox's processes hold, for `doctor`, over the Engine API without dockerode (doctor stays light):
 * a container made from the episodes' own spec runs `cat /proc/self/status` once as uid 1000 (what an operator
 * exec holds) and once as root (what the checker's root exec holds: the spec's added capabilities), each
 * removed afterwards. Undefined when the image is not built.
 */
export async function probeOverHttp(
  env: Env,
  shell: ShellConfig,
  timeoutMs = 30_000,
): Promise<{ operator: ExecSecurity; checker: ExecSecurity; userns: boolean } | undefined> {
  const ep = dockerEndpoint(env);
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const init = {
      method,
      signal: AbortSignal.timeout(timeoutMs),
      ...(ep.unix ? { unix: ep.unix } : {}),
      ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    } as RequestInit;
    const res = await fetch(`${ep.url}${path}`, init);
    if (!res.ok && res.status !== 304)
      throw new Error(`Docker at ${ep.label}: ${method} ${path.split("?")[0]} answered HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
    return res;
  };
  const found = await fetch(`${ep.url}/images/${encodeURIComponent(shell.image)}/json`, { ...(ep.unix ? { unix: ep.unix } : {}) } as RequestInit);
  if (found.status === 404) return undefined;
  const image = { tag: shell.image, id: ((await found.json()) as { Id: string }).Id } as SandboxImage;
  const labels = { sekft: "1", "sekft.run": `doctor-${process.pid}`, "sekft.pid": String(process.pid), "sekft.host": hostname() };
  const read = async (user: string): Promise<ExecSecurity> => {
    const spec = { ...sandboxSpec(image, shell.sandbox, labels), Cmd: ["cat", "/proc/self/status"], User: user };
    spec.HostConfig = { ...spec.HostConfig, AutoRemove: false };
    const { Id } = (await (await call("POST", "/containers/create", spec)).json()) as { Id: string };
    try {
      await call("POST", `/containers/${Id}/start`);
      await call("POST", `/containers/${Id}/wait`);
      // The engine may still be copying the output into its log when wait returns: read until the file's last
      // field we use is there (a second at most).
      let out = "";
      for (let tries = 0; tries < 20 && !out.includes("Seccomp_filters:"); tries++) {
        if (tries) await Bun.sleep(50);
        const logs = Buffer.from(await (await call("GET", `/containers/${Id}/logs?stdout=1&stderr=1`)).arrayBuffer());
        out = "";
        new Demux((kind, chunk) => {
          if (kind === 1) out += chunk.toString("utf8");
        }).push(logs);
      }
      return parseStatus(out);
    } finally {
      await call("DELETE", `/containers/${Id}?force=1&v=1`).catch(() => undefined);
    }
  };
  const info = (await (await call("GET", "/info")).json()) as { SecurityOptions?: string[] };
  return { operator: await read("1000:1000"), checker: await read("0:0"), userns: (info.SecurityOptions ?? []).some((o) => o.includes("name=userns")) };
}
