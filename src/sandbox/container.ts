import type Docker from "dockerode";
import type { Duplex } from "node:stream";
import { InterruptedError } from "../errors.ts";
import type { DockerEngine } from "./docker.ts";
import type { SandboxImage } from "./image.ts";
import { OP_UID } from "./rootfs.ts";
import { securityOptions } from "./seccomp.ts";

/** Resource limits of one sandbox container (from `[shell.sandbox]`). */
export interface SandboxLimits {
  memory_mb: number;
  pids_limit: number;
  cpus: number;
  disk_mb: number;
  lifetime_s: number;
}

/** The writable roots: tmpfs-backed volumes, because putArchive cannot write into a plain tmpfs. */
export const WRITABLE_ROOTS = ["/home/op", "/usr/local", "/var"] as const;
export const STATE_DIR = "/run/sekft";
/** The environment every session starts with (a scenario may add to it). */
export const BASE_ENV: Record<string, string> = { HOME: "/home/op", USER: "op", LOGNAME: "op", SHELL: "/bin/sh", PATH: "/usr/local/bin:/usr/bin:/bin" };

/** What one exec produced; output beyond the cap is dropped and flagged. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  truncated: boolean;
  durationMs: number;
  /** The exec ran past its timeout and every process of op was killed (exit code 124). */
  timedOut: boolean;
}

function volume(target: string, options: string, labels: Record<string, string>): Docker.MountSettings {
  return {
    Type: "volume",
    Target: target,
    VolumeOptions: { Labels: labels, DriverConfig: { Name: "local", Options: { type: "tmpfs", device: "tmpfs", o: options } } },
  } as unknown as Docker.MountSettings;
}

/**
 * The container's host name: the scenario's `HOSTNAME` when it is one plain DNS label (so `hostname`, `/etc/hostname`,
 * the login text and `env` agree), else `sandbox`. The value is bundle text: anything but a label is not used.
 */
export function hostnameOf(env: Record<string, string>): string {
  const h = env.HOSTNAME;
  return h && /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(h) ? h : "sandbox";
}

/** The locked-down container spec: no network, no capabilities, non-root, limits, read-only root. */
export function sandboxSpec(
  image: SandboxImage,
  limits: SandboxLimits,
  labels: Record<string, string>,
  env: Record<string, string> = {},
): Docker.ContainerCreateOptions {
  const size = `size=${limits.disk_mb}m`;
  return {
    Image: image.id,
    // PID 1 ends by itself, so even a kill -9 of sekft cannot leave a container running for ever.
    Cmd: ["sleep", String(limits.lifetime_s)],
    // PID 1 (a sleep) is root so that sekft's own root execs (the clean-up, the checker) hold the two capabilities
    // below; every operator command is an exec as uid 1000, which holds none (Docker clears a non-root exec's set).
    User: "0:0",
    WorkingDir: "/home/op",
    Hostname: hostnameOf(env),
    Env: Object.entries({ ...BASE_ENV, ...env }).map(([k, v]) => `${k}=${v}`),
    NetworkDisabled: true,
    Labels: labels,
    HostConfig: {
      NetworkMode: "none",
      CapDrop: ["ALL"],
      // Only root execs hold these: KILL, to end every process the operator left before the check, and
      // DAC_OVERRIDE, so the checker reads what the operator wrote whatever its mode (a chmod 000 cannot hide
      // state). Never DAC_READ_SEARCH: it unlocks open_by_handle_at, which opens the host's filesystem through
      // any bind mount. The checker is bundle text (untrusted): it may read and write inside this container
      // only; the seccomp profile refuses file handles, mounts and namespaces whatever capabilities a later
      // change grants.
      CapAdd: ["KILL", "DAC_OVERRIDE"],
      SecurityOpt: securityOptions(),
      ReadonlyRootfs: true,
      PidsLimit: limits.pids_limit,
      Memory: limits.memory_mb * 1024 * 1024,
      MemorySwap: limits.memory_mb * 1024 * 1024,
      NanoCpus: Math.round(limits.cpus * 1e9),
      AutoRemove: true,
      Tmpfs: {
        "/tmp": `rw,nosuid,nodev,${size},mode=1777`,
        [STATE_DIR]: `rw,nosuid,nodev,noexec,size=1m,uid=${OP_UID},gid=${OP_UID},mode=0700`,
      },
      Mounts: [
        volume("/home/op", `${size},uid=${OP_UID},gid=${OP_UID},mode=0755`, labels),
        volume("/usr/local", `${size},mode=0755`, labels),
        volume("/var", `${size},mode=0755`, labels),
      ],
    },
  };
}

/** One started sandbox container; dispose removes it. */
export class Sandbox implements AsyncDisposable {
  constructor(
    private readonly engine: DockerEngine,
    readonly container: Docker.Container,
    private readonly signal: AbortSignal,
  ) {}

  /** Creates and starts a fresh container; ready for exec when this resolves. */
  static async start(
    engine: DockerEngine,
    image: SandboxImage,
    limits: SandboxLimits,
    signal: AbortSignal,
    env: Record<string, string> = {},
  ): Promise<Sandbox> {
    if (signal.aborted) throw new InterruptedError();
    const container = await engine.create(sandboxSpec(image, limits, engine.labels(), env));
    const sandbox = new Sandbox(engine, container, signal);
    try {
      if (signal.aborted) throw new InterruptedError();
      await engine.call("a container start", () => container.start());
    } catch (error) {
      await engine.remove(container);
      throw error;
    }
    return sandbox;
  }

  /** Extracts a tar into a writable root (owners and modes come from the tar headers). */
  async putArchive(root: string, tarball: Buffer): Promise<void> {
    await this.engine.call("a file upload", () => this.container.putArchive(tarball, { path: root }));
  }

  /** Runs argv in the container; past `timeoutMs` every process of `op` is killed and the exit code is 124. */
  async exec(
    argv: string[],
    opts: { maxOutput: number; timeoutMs: number; user?: string; env?: Record<string, string>; workdir?: string; keepTail?: boolean },
  ): Promise<ExecResult> {
    if (this.signal.aborted) throw new InterruptedError();
    const started = performance.now();
    const exec = await this.engine.call("an exec create", () =>
      this.container.exec({
        Cmd: argv,
        AttachStdout: true,
        AttachStderr: true,
        User: opts.user ?? `${OP_UID}:${OP_UID}`,
        ...(opts.env ? { Env: Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) } : {}),
        ...(opts.workdir ? { WorkingDir: opts.workdir } : {}),
      }),
    );
    const stream = (await this.engine.call("an exec start", () => exec.start({ hijack: true, stdin: false }))) as Duplex;
    const out = new Capture(opts.maxOutput, opts.keepTail);
    const err = new Capture(opts.maxOutput, opts.keepTail);
    let timedOut = false;
    await new Promise<void>((resolve, reject) => {
      const demux = new Demux((kind, chunk) => (kind === 2 ? err : out).push(chunk));
      const stop = (): void => {
        clearTimeout(timer);
        this.signal.removeEventListener("abort", onAbort);
      };
      const onAbort = (): void => {
        stop();
        stream.destroy();
        reject(new InterruptedError());
      };
      const timer = setTimeout(() => {
        timedOut = true;
        stream.destroy();
        // The exec API has no kill; killing all of op's processes ends it (PID 1 is spared in its namespace).
        void this.killAll().finally(() => {
          stop();
          resolve();
        });
      }, opts.timeoutMs);
      this.signal.addEventListener("abort", onAbort, { once: true });
      stream.on("data", (chunk: Buffer) => demux.push(chunk));
      stream.on("end", () => {
        stop();
        resolve();
      });
      stream.on("error", (e) => {
        stop();
        if (!timedOut) reject(e);
      });
    });
    const exitCode = timedOut ? 124 : ((await this.engine.call("an exec inspect", () => exec.inspect())).ExitCode ?? 1);
    return {
      exitCode,
      stdout: out.text(),
      stderr: err.text(),
      truncated: out.truncated || err.truncated,
      durationMs: performance.now() - started,
      timedOut,
    };
  }

  private async killAll(): Promise<void> {
    try {
      const exec = await this.engine.call("an exec create", () => this.container.exec({ Cmd: ["kill", "-9", "-1"], User: `${OP_UID}:${OP_UID}` }), {
        cleanup: true,
      });
      await this.engine.call("an exec start", () => exec.start({ Detach: true }), { cleanup: true });
    } catch {
      // The container may already be gone; removal follows anyway.
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.engine.remove(this.container);
  }
}

/** Keeps the first `max` bytes of a stream (with `tail`, the last `max`); never more in memory. */
class Capture {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(
    private readonly max: number,
    private readonly tail = false,
  ) {}
  push(chunk: Buffer): void {
    if (this.tail) {
      this.chunks.push(chunk);
      this.size += chunk.byteLength;
      while (this.size - this.chunks[0]!.byteLength >= this.max) {
        this.size -= this.chunks.shift()!.byteLength;
        this.truncated = true;
      }
      if (this.size > this.max) {
        const first = this.chunks[0]!;
        this.chunks[0] = first.subarray(this.size - this.max);
        this.size = this.max;
        this.truncated = true;
      }
      return;
    }
    const room = this.max - this.size;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const kept = chunk.byteLength > room ? chunk.subarray(0, room) : chunk;
    if (kept !== chunk) this.truncated = true;
    this.chunks.push(kept);
    this.size += kept.byteLength;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

/** Docker's multiplexed stream: 8-byte header (stream type, 3 zero bytes, big-endian length) per frame. */
export class Demux {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly emit: (kind: number, chunk: Buffer) => void) {}
  push(chunk: Buffer): void {
    this.buf = this.buf.byteLength === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.buf.byteLength >= 8) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.byteLength < 8 + size) return;
      this.emit(this.buf[0]!, this.buf.subarray(8, 8 + size));
      this.buf = this.buf.subarray(8 + size);
    }
  }
}
