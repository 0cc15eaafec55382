/** Where the Docker engine listens, from DOCKER_HOST or the default socket. */
export function dockerEndpoint(env: Readonly<Record<string, string | undefined>>): { url: string; unix?: string; label: string } {
  const host = env.DOCKER_HOST || "unix:///var/run/docker.sock";
  if (host.startsWith("unix://")) {
    const path = host.slice("unix://".length);
    return { url: "http://localhost", unix: path, label: host };
  }
  if (host.startsWith("tcp://")) return { url: `http://${host.slice("tcp://".length)}`, label: host };
  return { url: host, label: host };
}

/** Pings the engine without dockerode (so `doctor` stays light); returns its version or why not. */
export async function pingDocker(
  env: Readonly<Record<string, string | undefined>>,
  timeoutMs = 3000,
): Promise<{ ok: true; version: string; api: string } | { ok: false; reason: string }> {
  const ep = dockerEndpoint(env);
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
