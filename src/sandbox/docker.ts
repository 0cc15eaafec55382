import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import Docker from "dockerode";
import { DependencyError } from "../errors.ts";
import { parseDockerHost } from "./docker-host.ts";

export const LABEL = "sekft";
export const RUN_LABEL = "sekft.run";
export const PID_LABEL = "sekft.pid";
export const HOST_LABEL = "sekft.host";

/** dockerode options for the engine DOCKER_HOST names. */
export function dockerTarget(env: Readonly<Record<string, string | undefined>>): { opts: Docker.DockerOptions; where: string } {
  const host = parseDockerHost(env);
  if (host.kind === "unix") return { opts: { socketPath: host.socketPath }, where: host.where };
  return { opts: { host: host.host, port: host.port, protocol: "http" }, where: host.where };
}

function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: string })?.code ?? "";
  return ["ENOENT", "EACCES", "ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ETIMEDOUT", "ENOTFOUND", "FailedToOpenSocket", "ConnectionRefused"].includes(code);
}

/** The one dockerode owner: pings first, labels by run, reaps orphans, removes its containers on dispose. */
export class DockerEngine implements AsyncDisposable {
  readonly docker: Docker;
  readonly runId: string;
  readonly where: string;
  private readonly live = new Map<string, Docker.Container>();
  private readonly pending = new Set<Promise<unknown>>();

  private constructor(docker: Docker, where: string) {
    this.docker = docker;
    this.where = where;
    this.runId = `${process.pid}-${randomBytes(4).toString("hex")}`;
  }

  /** Connects and pings; an unreachable engine becomes a DependencyError (exit 2). */
  static async connect(env: Readonly<Record<string, string | undefined>>): Promise<DockerEngine> {
    const { opts, where } = dockerTarget(env);
    const engine = new DockerEngine(new Docker(opts), where);
    try {
      await engine.docker.ping();
    } catch (error) {
      if (isUnreachable(error) || (error as Error)?.message?.includes("connect")) {
        throw new DependencyError(`Docker is not reachable at ${where} — is the daemon running?`, "Start dockerd, or set DOCKER_HOST to a reachable engine.");
      }
      throw new DependencyError(`Docker at ${where} answered with an error: ${(error as Error).message}`);
    }
    return engine;
  }

  /** Labels for everything this run creates. */
  labels(): Record<string, string> {
    return { [LABEL]: "1", [RUN_LABEL]: this.runId, [PID_LABEL]: String(process.pid), [HOST_LABEL]: hostname() };
  }

  /** Creates a container under this run's ownership; it is removed on dispose if not before. */
  async create(spec: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    const creating = this.docker.createContainer({ ...spec, Labels: { ...spec.Labels, ...this.labels() } });
    this.pending.add(creating);
    try {
      const container = await creating;
      this.live.set(container.id, container);
      return container;
    } finally {
      this.pending.delete(creating);
    }
  }

  /** Force-removes a container and its anonymous volumes; a container already gone is fine. */
  async remove(container: Docker.Container): Promise<void> {
    this.live.delete(container.id);
    await removeQuietly(container);
  }

  /** Removes containers of sekft runs whose process is gone (crashed runs); returns how many. */
  async reapOrphans(): Promise<number> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL}=1`] } });
    const host = hostname();
    const dead = list.filter((c) => {
      const pid = Number(c.Labels[PID_LABEL]);
      if (c.Labels[RUN_LABEL] === this.runId) return false;
      return c.Labels[HOST_LABEL] === host && !(pid > 0 && isAlive(pid));
    });
    await Promise.all(dead.map((c) => removeQuietly(this.docker.getContainer(c.Id))));
    if (dead.length > 0) await this.docker.pruneVolumes({ filters: { label: [`${LABEL}=1`] } }).catch(() => undefined);
    return dead.length;
  }

  /** Removes everything sekft labelled: containers (any run), volumes, images; for `sandbox clean`. */
  async removeAllLabelled(): Promise<{ containers: number; images: number }> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL}=1`] } });
    await Promise.all(list.map((c) => removeQuietly(this.docker.getContainer(c.Id))));
    await this.docker.pruneVolumes({ filters: { label: [`${LABEL}=1`] } }).catch(() => undefined);
    const images = await this.docker.listImages({ filters: { label: [`${LABEL}=1`] } });
    for (const image of images)
      await this.docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined);
    return { containers: list.length, images: images.length };
  }

  /** Containers of this run still alive (tests and dispose use it). */
  liveCount(): number {
    return this.live.size;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    // Creations in flight finish first, so nothing is created after we looked.
    await Promise.allSettled([...this.pending]);
    const all = [...this.live.values()];
    this.live.clear();
    await Promise.all(all.map((c) => removeQuietly(c)));
  }
}

async function removeQuietly(container: Docker.Container): Promise<void> {
  try {
    await container.remove({ force: true, v: true });
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== 404 && status !== 409) throw error;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}
