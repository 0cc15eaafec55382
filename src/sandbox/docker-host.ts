import { DependencyError } from "../errors.ts";

/** Where a Docker engine listens, parsed once from DOCKER_HOST. No dockerode here, so `doctor` stays light. */
export type DockerHost = { kind: "unix"; socketPath: string; where: string } | { kind: "tcp"; host: string; port: number; where: string };

const DEFAULT_SOCKET = "/var/run/docker.sock";

/** The one DOCKER_HOST parser: `unix:///path`, `tcp://host[:port]` (port 2375 by default), or the default socket. */
export function parseDockerHost(env: Readonly<Record<string, string | undefined>>): DockerHost {
  const raw = env.DOCKER_HOST?.trim();
  if (!raw) return { kind: "unix", socketPath: DEFAULT_SOCKET, where: `unix://${DEFAULT_SOCKET}` };
  if (raw.startsWith("unix://")) {
    const socketPath = raw.slice("unix://".length);
    if (!socketPath.startsWith("/")) throw new DependencyError(`DOCKER_HOST=${raw}: a unix socket needs an absolute path (unix:///path)`);
    return { kind: "unix", socketPath, where: raw };
  }
  if (raw.startsWith("tcp://")) {
    let url: URL;
    try {
      url = new URL(raw.replace(/^tcp:/, "http:"));
    } catch {
      throw new DependencyError(`DOCKER_HOST=${raw}: not a tcp://host:port address`);
    }
    return { kind: "tcp", host: url.hostname, port: Number(url.port || 2375), where: raw };
  }
  throw new DependencyError(
    `DOCKER_HOST=${raw}: unsupported scheme`,
    "Use unix:///path/to/docker.sock or tcp://host:port (ssh:// and TLS engines are not supported).",
  );
}
