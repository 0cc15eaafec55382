import { parseDockerHost } from "../sandbox/docker-host.ts";

/** The HTTP address to fetch for the engine DOCKER_HOST names. */
export function dockerEndpoint(env: Readonly<Record<string, string | undefined>>): { url: string; unix?: string; label: string } {
  const host = parseDockerHost(env);
  if (host.kind === "unix") return { url: "http://localhost", unix: host.socketPath, label: host.where };
  return { url: `http://${host.host}:${host.port}`, label: host.where };
}

/** Pings the engine without dockerode (so `doctor` stays light); returns its version or why not. */
export async function pingDocker(
  env: Readonly<Record<string, string | undefined>>,
  timeoutMs = 3000,
): Promise<{ ok: true; version: string; api: string } | { ok: false; reason: string }> {
  let ep: ReturnType<typeof dockerEndpoint>;
  try {
    ep = dockerEndpoint(env);
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  try {
    const init = { signal: AbortSignal.timeout(timeoutMs), ...(ep.unix ? { unix: ep.unix } : {}) } as RequestInit;
    const res = await fetch(`${ep.url}/version`, init);
    if (!res.ok) return { ok: false, reason: `Docker at ${ep.label} answered HTTP ${res.status}` };
    const body = (await res.json()) as { Version?: string; ApiVersion?: string };
    return { ok: true, version: body.Version ?? "unknown", api: body.ApiVersion ?? "unknown" };
  } catch (error) {
    const msg = (error as Error).message ?? String(error);
    return { ok: false, reason: `Docker is not reachable at ${ep.label} (${msg}) — is the daemon running?` };
  }
}
