import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import Docker from "dockerode";
import { DependencyError, InterruptedError, SekftError } from "../errors.ts";
import { isAlive } from "../proc/temp.ts";
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

/** The engine did not answer a call in time: infrastructure, never held against a bundle. Exit 1. */
export class EngineTimeoutError extends SekftError {
  constructor(message: string) {
    super(message, {
      exitCode: 1,
      hint: "Is the engine frozen or overloaded? Check `docker info`; a slow engine needs a larger shell.sandbox.engine_timeout_s.",
    });
  }
}

/** How long each engine call may take, and the run's abort signal (a call in flight ends at once on SIGINT/SIGTERM). */
export interface EngineOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_ENGINE_TIMEOUT_MS = 60_000;

/** The engine options of a run: `shell.sandbox.engine_timeout_s` and the run's abort signal. */
export function engineOptions(ctx: { config: { shell: { sandbox: { engine_timeout_s: number } } }; signal: AbortSignal }): EngineOptions {
  return { timeoutMs: ctx.config.shell.sandbox.engine_timeout_s * 1000, signal: ctx.signal };
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
  private readonly timeoutMs: number;
  private readonly signal: AbortSignal | undefined;

  private constructor(docker: Docker, where: string, opts: EngineOptions) {
    this.docker = docker;
    this.where = where;
    this.runId = `${process.pid}-${randomBytes(4).toString("hex")}`;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_ENGINE_TIMEOUT_MS;
    this.signal = opts.signal;
  }

  /** Connects and pings; an unreachable or silent engine becomes a DependencyError (exit 2) naming its address. */
  static async connect(env: Readonly<Record<string, string | undefined>>, opts: EngineOptions = {}): Promise<DockerEngine> {
    const { opts: target, where } = dockerTarget(env);
    const engine = new DockerEngine(new Docker(target), where, opts);
    try {
      await engine.call("a ping", () => engine.docker.ping());
    } catch (error) {
      if (error instanceof InterruptedError) throw error;
      if (error instanceof EngineTimeoutError) throw new DependencyError(error.message, error.hint);
      if (isUnreachable(error) || (error as Error)?.message?.includes("connect")) {
        throw new DependencyError(`Docker is not reachable at ${where} — is the daemon running?`, "Start dockerd, or set DOCKER_HOST to a reachable engine.");
      }
      throw new DependencyError(`Docker at ${where} answered with an error: ${(error as Error).message}`);
    }
    return engine;
  }

  /**
   * Every engine call goes through here: it gets a deadline (an engine that accepts and never answers must not
   * hang the run) and ends at once when the run is interrupted. `cleanup` calls ignore the interruption, so
   * clean-up after SIGINT/SIGTERM still removes containers, within the same deadline.
   */
  async call<T>(what: string, fn: () => Promise<T>, opts: { cleanup?: boolean } = {}): Promise<T> {
    const signal = opts.cleanup ? undefined : this.signal;
    if (signal?.aborted) throw new InterruptedError();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort = (): void => undefined;
    const guard = new Promise<never>((_, reject) => {
      const secs = Math.round(this.timeoutMs / 100) / 10;
      timer = setTimeout(() => reject(new EngineTimeoutError(`Docker at ${this.where} did not answer ${what} within ${secs}s`)), this.timeoutMs);
      onAbort = () => reject(new InterruptedError());
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([fn(), guard]);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Labels for everything this run creates. */
  labels(): Record<string, string> {
    return { [LABEL]: "1", [RUN_LABEL]: this.runId, [PID_LABEL]: String(process.pid), [HOST_LABEL]: hostname() };
  }

  /** Creates a container under this run's ownership; it is removed on dispose if not before. */
  async create(spec: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    // The engine's own answer is tracked even when the call gives up (deadline, interruption): a container the
    // engine makes late is still this run's, and dispose removes it.
    const creating = this.docker.createContainer({ ...spec, Labels: { ...spec.Labels, ...this.labels() } }).then((container) => {
      this.live.set(container.id, container);
      return container;
    });
    this.pending.add(creating);
    void creating.then(
      () => this.pending.delete(creating),
      () => this.pending.delete(creating),
    );
    return this.call("a container create", () => creating);
  }

  /** Force-removes a container and its anonymous volumes; a container already gone is fine. */
  async remove(container: Docker.Container): Promise<void> {
    this.live.delete(container.id);
    await this.call("a container removal", () => removeQuietly(container), { cleanup: true });
  }

  /** Removes containers of sekft runs whose process is gone (crashed runs); returns how many. */
  async reapOrphans(): Promise<number> {
    return this.removeDeadRuns();
  }

  /**
   * Removes the containers (and unused volumes) of sekft runs on this host whose process is gone; live runs and
   * other hosts' runs are left alone. `labels` narrows the search further (`key=value` filters).
   */
  async removeDeadRuns(labels: string[] = []): Promise<number> {
    const list = await this.call("a container list", () => this.docker.listContainers({ all: true, filters: { label: [`${LABEL}=1`, ...labels] } }));
    const host = hostname();
    const dead = list.filter((c) => {
      const pid = Number(c.Labels[PID_LABEL]);
      if (c.Labels[RUN_LABEL] === this.runId) return false;
      return c.Labels[HOST_LABEL] === host && !(pid > 0 && isAlive(pid));
    });
    await Promise.all(dead.map((c) => this.call("a container removal", () => removeQuietly(this.docker.getContainer(c.Id)))));
    if (dead.length > 0)
      await this.call("a volume prune", () => this.docker.pruneVolumes({ filters: { label: [`${LABEL}=1`] } })).catch((e) => {
        if (e instanceof InterruptedError) throw e;
      });
    return dead.length;
  }

  /** Removes everything sekft labelled: containers (any run), volumes, images; for `sandbox clean`. */
  async removeAllLabelled(): Promise<{ containers: number; images: number }> {
    const list = await this.call("a container list", () => this.docker.listContainers({ all: true, filters: { label: [`${LABEL}=1`] } }));
    await Promise.all(list.map((c) => this.call("a container removal", () => removeQuietly(this.docker.getContainer(c.Id)))));
    await this.call("a volume prune", () => this.docker.pruneVolumes({ filters: { label: [`${LABEL}=1`] } })).catch(() => undefined);
    const images = await this.call("an image list", () => this.docker.listImages({ filters: { label: [`${LABEL}=1`] } }));
    for (const image of images) await this.call("an image removal", () => this.docker.getImage(image.Id).remove({ force: true })).catch(() => undefined);
    return { containers: list.length, images: images.length };
  }

  /** Containers of this run still alive (tests and dispose use it). */
  liveCount(): number {
    return this.live.size;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    // Creations in flight finish first, so nothing is created after we looked (within the call deadline).
    if (this.pending.size) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([Promise.allSettled([...this.pending]), new Promise((resolve) => (timer = setTimeout(resolve, this.timeoutMs)))]);
      clearTimeout(timer);
    }
    const all = [...this.live.values()];
    this.live.clear();
    // A frozen engine must not hold the exit: each removal has the call deadline, and a failed one is left to the
    // container's own lifetime and the next run's reaping.
    await Promise.allSettled(all.map((c) => this.call("a container removal", () => removeQuietly(c), { cleanup: true })));
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
