import { createHash } from "node:crypto";
import { chmodSync, existsSync, lstatSync, readdirSync, readlinkSync, rmSync, statSync } from "node:fs";
import type Docker from "dockerode";
import type { VerifySandboxSchema } from "../config/witness-schema.ts";
import type { z } from "zod";
import { DependencyError, InterruptedError } from "../errors.ts";
import { type BuildCache, buildCaches, cacheEnv, runWithVerdict, type ScriptExec, type ScriptRunner } from "../proc/isolate.ts";
import { Sandbox } from "./container.ts";
import { DockerEngine } from "./docker.ts";
import { drainProgress } from "./image.ts";
import { OP_UID, packEntries, type RootEntry } from "./rootfs.ts";
import { securityOptions } from "./seccomp.ts";
import { type ExecSecurity, parseStatus } from "./security.ts";
import { makeOwnedTempDir } from "../proc/temp.ts";

type Limits = z.infer<typeof VerifySandboxSchema>;

export const VERIFY_IMAGE_REPO = "sekft-verify";
const WITNESS = "/opt/witness/witness";
const SCRIPT_DIR = "/sekft";
const WORK = "/work";
const HOME = "/home/op";
// Where the user's Go caches appear, read-only (`witness.sandbox.build_caches`).
const CACHES = "/opt/sekft-cache";
// Top-level directories that merged-/usr hosts make symlinks into /usr; elsewhere they are mounted too.
const ROOT_DIRS = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];

/** The host paths to mount read-only: the configured ones that exist, plus real top-level bin/lib dirs; never one holding `home`. */
export function hostMounts(limits: Limits, home: string | undefined): { mounts: string[]; links: RootEntry[] } {
  const links: RootEntry[] = [];
  const mounts = limits.mounts.flatMap(expandMount).filter((m) => existsSync(m) && !(home && (home === m || home.startsWith(m === "/" ? "/" : `${m}/`))));
  for (const d of ROOT_DIRS) {
    const p = `/${d}`;
    if (!existsSync(p)) continue;
    if (lstatSync(p).isSymbolicLink()) links.push({ name: d, type: "symlink", mode: 0o777, linkname: readlinkSync(p) });
    else if (!mounts.includes(p)) mounts.push(p);
  }
  return { mounts, links };
}

/**
 * A mount entry whose last component holds `*` names every entry of its directory that matches (`/etc/java-*`: the
 * JDKs' configuration, which their `conf/` symlinks point into); other entries are themselves.
 */
export function expandMount(entry: string): string[] {
  const cut = entry.lastIndexOf("/");
  const last = entry.slice(cut + 1);
  if (!last.includes("*")) return [entry];
  const dir = entry.slice(0, cut) || "/";
  const re = new RegExp(
    `^${last
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => re.test(n))
    .sort()
    .map((n) => `${dir === "/" ? "" : dir}/${n}`);
}

/** The image: empty directories to mount onto, the host's /bin-style symlinks, a passwd with the non-root user. */
async function imageTar(mounts: string[], links: RootEntry[], caches: BuildCache[]): Promise<Buffer> {
  const dir = (name: string, mode = 0o755, uid = 0): RootEntry => ({ name, type: "directory", mode, uid });
  const parents = new Set<string>();
  const files = mounts.filter((m) => statSync(m).isFile()).map((m) => m.slice(1));
  for (const m of [...mounts, WITNESS, SCRIPT_DIR, WORK, HOME, ...caches.map((c) => `${CACHES}/${c.name}`)]) {
    const parts = m.split("/").filter(Boolean);
    const isFile = m === WITNESS || files.includes(parts.join("/"));
    for (let i = 1; i <= parts.length - (isFile ? 1 : 0); i++) parents.add(parts.slice(0, i).join("/"));
  }
  const entries: RootEntry[] = [
    ...["etc", "proc", "sys", "dev", "tmp"].map((d) => dir(d, d === "tmp" ? 0o1777 : 0o755)),
    ...[...parents].sort().map((p) => dir(p, 0o755, p === HOME.slice(1) || p === WORK.slice(1) ? OP_UID : 0)),
    ...[WITNESS.slice(1), ...files].map((name): RootEntry => ({ name, type: "file", mode: 0o644, content: "" })),
    ...links,
    { name: "etc/passwd", type: "file", mode: 0o644, content: `root:x:0:0:root:/root:/bin/sh\nop:x:${OP_UID}:${OP_UID}:op:${HOME}:/bin/sh\n` },
    { name: "etc/group", type: "file", mode: 0o644, content: `root:x:0:\nop:x:${OP_UID}:\n` },
  ];
  return packEntries(entries.filter((e, i, all) => all.findIndex((x) => x.name === e.name) === i));
}

/**
 * Runs each verify script in its own locked-down container: no network, all capabilities dropped, uid 1000,
 * no new privileges, read-only root, tmpfs scratch (/work, /home/op, /tmp), the witness binary and the host
 * toolchains bind-mounted read-only, the script's directory read-only, nothing of the user's home but its
 * Go build and module caches (`buildCaches`), each bind-mounted read-only under /opt/sekft-cache so a script
 * builds warm but cannot change what the next one (or the user) builds from. The script is PID 1, so when it ends the container and everything it started end with it.
 */
export class VerifyBox implements AsyncDisposable {
  private constructor(
    private readonly engine: DockerEngine,
    private readonly image: string,
    private readonly mounts: string[],
    private readonly witness: string,
    private readonly limits: Limits,
    readonly path: string,
    private readonly caches: BuildCache[],
  ) {}

  /** Connects to Docker and imports the image when this host layout has none yet. */
  static async open(env: Readonly<Record<string, string | undefined>>, witness: string, limits: Limits): Promise<VerifyBox> {
    const engine = await DockerEngine.connect(env);
    try {
      await engine.reapOrphans();
      const { mounts, links } = hostMounts(limits, env.HOME);
      const caches = limits.build_caches ? buildCaches(env) : [];
      const tarball = await imageTar(mounts, links, caches);
      const tag = `${VERIFY_IMAGE_REPO}:${createHash("sha256").update(tarball).digest("hex").slice(0, 16)}`;
      const found = await engine.docker
        .getImage(tag)
        .inspect()
        .catch(() => undefined);
      if (!found) {
        const [repo, version] = tag.split(":");
        const stream = await engine.docker.importImage(
          tarball as unknown as NodeJS.ReadableStream,
          { repo, tag: version, changes: ["LABEL sekft=1"] } as object,
        );
        await drainProgress(engine.docker, stream);
      }
      // The script's PATH: the witness first, then the host PATH entries that the mounts make visible.
      const hostPath = (env.PATH ?? "/usr/bin:/bin")
        .split(":")
        .filter((p) => mounts.some((m) => p === m || p.startsWith(`${m}/`)) || links.some((l) => p === `/${l.name}`));
      return new VerifyBox(
        engine,
        tag,
        mounts,
        witness,
        limits,
        ["/opt/witness", ...new Set(hostPath), "/usr/bin", "/bin"].filter((p, i, a) => a.indexOf(p) === i).join(":"),
        caches,
      );
    } catch (error) {
      await engine[Symbol.asyncDispose]();
      throw error;
    }
  }

  private spec(e: ScriptExec, caches: BuildCache[] = this.caches): Docker.ContainerCreateOptions {
    const tmpfs = `rw,nosuid,nodev,exec,size=${this.limits.tmpfs_mb}m`;
    return {
      Image: this.image,
      // PID 1 outlives the script, so the verdict run sees the files the script left; it ends by itself.
      Cmd: ["sleep", String(Math.ceil(e.timeoutMs / 1000) + 60)],
      User: `${OP_UID}:${OP_UID}`,
      WorkingDir: WORK,
      Hostname: "sandbox",
      NetworkDisabled: true,
      HostConfig: {
        NetworkMode: "none",
        CapDrop: ["ALL"],
        SecurityOpt: securityOptions(),
        ReadonlyRootfs: true,
        PidsLimit: this.limits.pids_limit,
        Memory: this.limits.memory_mb * 1024 * 1024,
        MemorySwap: this.limits.memory_mb * 1024 * 1024,
        NanoCpus: Math.round(this.limits.cpus * 1e9),
        Tmpfs: {
          "/tmp": `${tmpfs},mode=1777`,
          [WORK]: `${tmpfs},uid=${OP_UID},gid=${OP_UID},mode=0755`,
          [HOME]: `${tmpfs},uid=${OP_UID},gid=${OP_UID},mode=0755`,
        },
        Binds: [
          ...this.mounts.map((m) => `${m}:${m}:ro`),
          `${this.witness}:${WITNESS}:ro`,
          `${e.dir}:${SCRIPT_DIR}:ro`,
          ...caches.map((c) => `${c.host}:${CACHES}/${c.name}:ro`),
        ],
      },
    };
  }

  /**
   * The runner `runScript` uses: one fresh container per script, removed afterwards. The script runs as an
   * exec of uid 1000; then every process it left is killed and the verdict run (the real witness for the
   * final line) is an exec of its own, so nothing the script started can write into the verdict's output.
   * Output is kept to `maxOutput` bytes per stream while it streams in.
   */
  readonly runner: ScriptRunner = (e) => this.run(e, this.caches);

  /**
   * The same box without the user's build caches, or undefined when there are none: a Go build that misses a
   * read-only cache fails writing it, and then runs again here, its cache the box's own (cold, writable, in HOME).
   */
  get coldRunner(): ScriptRunner | undefined {
    return this.caches.length ? (e) => this.run(e, []) : undefined;
  }

  private async run(e: ScriptExec, cacheList: BuildCache[]): ReturnType<ScriptRunner> {
    if (e.signal?.aborted) throw new InterruptedError();
    // mkdtemp makes the directory 0700 for sekft's user; the container's uid 1000 only needs to read the script.
    chmodSync(e.dir, 0o755);
    chmodSync(e.script, 0o644);
    const inBox = (a: string): string => (a === e.script ? `${SCRIPT_DIR}/${e.script.slice(e.dir.length + 1)}` : a);
    const signal = e.signal ?? new AbortController().signal;
    let container: Docker.Container | undefined;
    try {
      container = await this.engine.create(this.spec(e, cacheList));
      const box = new Sandbox(this.engine, container, signal);
      await this.engine.call("a container start", () => container!.start());
      const caches = cacheEnv(cacheList, CACHES);
      // The box's PATH, unless the script's is its own run directory's `bin` (`--stated-path`), seen at SCRIPT_DIR.
      const own = e.env.PATH === `${e.dir}/bin` ? `${SCRIPT_DIR}/bin` : this.path;
      const env = (extra: Record<string, string>): Record<string, string> => ({ ...caches, ...extra, PATH: own, HOME });
      const exec = { ...e, argv: e.argv.map(inBox), env: env(e.env), ...(e.final ? { final: { ...e.final, witness: WITNESS } } : {}) };
      let first = true;
      return await runWithVerdict(
        exec,
        async (argv, runEnv, timeoutMs) => {
          // Before the verdict: every process the script left is gone (kill -1 spares PID 1 and the caller; twice for forks in flight).
          if (!first) await box.exec(["sh", "-c", "kill -9 -1 2>/dev/null; sleep 0.05; kill -9 -1 2>/dev/null; exit 0"], { maxOutput: 256, timeoutMs: 10_000 });
          first = false;
          const r = await box.exec(argv, { maxOutput: e.maxOutput, timeoutMs, env: env(runEnv), workdir: WORK, keepTail: true });
          return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut, aborted: false, durationMs: r.durationMs, cpuSeconds: 0 };
        },
        "sh",
      );
    } catch (error) {
      if (error instanceof InterruptedError) return { exitCode: 130, stderr: "", timedOut: false, aborted: true, durationMs: 0, cpuSeconds: 0 };
      if ((error as { statusCode?: number }).statusCode) throw new DependencyError(`the verify sandbox failed: ${(error as Error).message}`);
      throw error;
    } finally {
      if (container) await this.engine.remove(container);
    }
  }

  /** What a script's exec holds in this box, read from inside (for `sandbox check` and `doctor`). */
  async probe(signal: AbortSignal): Promise<ExecSecurity> {
    const dir = makeOwnedTempDir("sekft-probe");
    chmodSync(dir, 0o755);
    const container = await this.engine.create(this.spec({ dir, script: "", work: dir, argv: [], env: {}, timeoutMs: 30_000, maxOutput: 0 }));
    try {
      await this.engine.call("a container start", () => container.start());
      const r = await new Sandbox(this.engine, container, signal).exec(["cat", "/proc/self/status"], { maxOutput: 16_384, timeoutMs: 10_000 });
      return parseStatus(r.stdout);
    } finally {
      await this.engine.remove(container);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.engine[Symbol.asyncDispose]();
  }
}
