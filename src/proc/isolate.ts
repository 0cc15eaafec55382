import { existsSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { type RunResult, runProcess } from "./run.ts";
import { parseSetOutput, shellQuote } from "./shell.ts";

/** What a script runner is asked to do: run `argv` (a shell, its flags, the script file) in `work`. */
export interface ScriptExec {
  /** The run's private directory; `script` (the script file) and `work` (the empty working directory) are in it. */
  dir: string;
  script: string;
  work: string;
  argv: string[];
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  maxOutput: number;
  /**
   * The verdict's own run: after the script (which then holds every line but its final `witness verify`) has
   * ended and everything it started is gone, the runner starts a fresh `sh` that execs the real witness
   * binary with `args` (the final line after its `witness` word). Nothing of the script (functions, aliases,
   * traps, PATH, background processes) reaches it; the variables the script's last `set` printed on stdout
   * (after `VARS_MARK`) are its environment, as plain strings.
   */
  final?: { witness: string; args: string };
}

/** What a runner reports back (a subset of `RunResult`); `final` is the verdict run's own, when it ran. */
export type ScriptRun = Pick<RunResult, "exitCode" | "stderr" | "timedOut" | "aborted" | "durationMs" | "cpuSeconds"> & {
  final?: { exitCode: number; stderr: string };
};

/** Runs a script somewhere: a host process, an isolated host process, or a sandbox container. */
export type ScriptRunner = (exec: ScriptExec) => Promise<ScriptRun>;

/** The line the script's postlude prints before `set`'s variable dump. */
export const VARS_MARK = "__sekft_vars__";
// Names the verdict run never takes from a script: they steer the shell or the loader, not witness's arguments.
const RESERVED = /^(PATH|HOME|IFS|ENV|CDPATH|PS[1-4]|PPID|PWD|OLDPWD|OPTIND|OPTARG|LINENO|SHLVL|SHELLOPTS|BASHOPTS|BASH.*|LD_.*|GCONV_PATH|_)$/;

/** The verdict run's environment: the script's variables (from its stdout), then the runner's own env over them. */
export function finalEnv(env: Record<string, string>, stdout: string): Record<string, string> {
  const at = stdout.lastIndexOf(`${VARS_MARK}\n`);
  const vars = at < 0 ? {} : parseSetOutput(stdout.slice(at + VARS_MARK.length + 1));
  const kept = Object.fromEntries(Object.entries(vars).filter(([k]) => !RESERVED.test(k)));
  const { PS4: _trace, ...own } = env;
  return { ...kept, ...own };
}

/** The verdict run's argv: a fresh sh that becomes the witness binary at `witness`. */
export function finalArgv(shell: string, witness: string, args: string): string[] {
  return [shell, "-eu", "-c", `exec ${shellQuote(witness)}${args}`];
}

/** Runs the script with `run`, then (when it exited 0) the verdict with `run` again; stderr joined, time summed. */
export async function runWithVerdict(
  e: ScriptExec,
  run: (argv: string[], env: Record<string, string>, timeoutMs: number) => Promise<ScriptRun & { stdout: string }>,
  shell = "/bin/sh",
): Promise<ScriptRun> {
  const first = await run(e.argv, e.env, e.timeoutMs);
  if (!e.final || first.exitCode !== 0 || first.timedOut || first.aborted) return first;
  const left = Math.max(1000, e.timeoutMs - first.durationMs);
  const second = await run(finalArgv(shell, e.final.witness, e.final.args), finalEnv(e.env, first.stdout), left);
  return {
    exitCode: second.exitCode,
    stderr: `${first.stderr}${first.stderr.endsWith("\n") || !first.stderr ? "" : "\n"}${second.stderr}`,
    timedOut: second.timedOut,
    aborted: second.aborted,
    durationMs: first.durationMs + second.durationMs,
    cpuSeconds: first.cpuSeconds + second.cpuSeconds,
    final: { exitCode: second.exitCode, stderr: second.stderr },
  };
}

/** A plain host process in its own process group (what generation uses for our own scripts). */
export const plainRunner: ScriptRunner = (e) =>
  runWithVerdict(e, (argv, env, timeoutMs) => runProcess(argv, { cwd: e.work, env, timeoutMs, signal: e.signal, maxOutput: e.maxOutput }));

/** A build cache of the user's that verify's scripts read (never write): its name under a run's cache root and its host directory. */
export interface BuildCache {
  name: "go-build" | "go-mod";
  host: string;
}

/**
 * The user's Go caches that exist, found as Go finds them: the build cache (GOCACHE, else
 * $XDG_CACHE_HOME/go-build or ~/.cache/go-build) and the module cache (GOMODCACHE, else the first GOPATH entry's
 * pkg/mod or ~/go/pkg/mod). Both hold only content-addressed build outputs and downloaded module sources, no
 * credentials, and Go builds from them read-only (a cache write it cannot make is skipped). npm's cache is not
 * offered: `npm pack` fails on a read-only one.
 */
export function buildCaches(env: Readonly<Record<string, string | undefined>>): BuildCache[] {
  const home = env.HOME && env.HOME !== "/" ? env.HOME : undefined;
  const under = (...p: (string | undefined)[]): string | undefined => (p.every(Boolean) ? join(...(p as string[])) : undefined);
  const found: [BuildCache["name"], string | undefined][] = [
    ["go-build", env.GOCACHE || under(env.XDG_CACHE_HOME || under(home, ".cache"), "go-build")],
    ["go-mod", env.GOMODCACHE || under(env.GOPATH?.split(":")[0] || under(home, "go"), "pkg", "mod")],
  ];
  return found.flatMap(([name, host]) => (host?.startsWith("/") && existsSync(host) && statSync(host).isDirectory() ? [{ name, host }] : []));
}

/** The variables that point Go at the read-only caches mounted under `root` (no module download is tried: GOPROXY=off). */
export function cacheEnv(caches: BuildCache[], root: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const c of caches) {
    if (c.name === "go-build") env.GOCACHE = `${root}/go-build`;
    if (c.name === "go-mod") Object.assign(env, { GOMODCACHE: `${root}/go-mod`, GOPROXY: "off" });
  }
  return env;
}

// A user namespace (root mapped to the caller, so no privilege is gained on the host), a PID namespace whose
// init is the script (when it exits the kernel kills everything left in it, setsid daemons included, and
// /proc shows nothing outside it, so $PPID is 0), and an empty network namespace (loopback down).
const NAMESPACES = ["--user", "--map-root-user", "--pid", "--fork", "--kill-child", "--mount-proc", "--net"];

let probed: Promise<string[] | undefined> | undefined;

/** The `unshare` argv prefix when unprivileged namespaces work on this host (probed once), else undefined. */
export function namespacePrefix(): Promise<string[] | undefined> {
  probed ??= (async () => {
    const unshare = Bun.which("unshare", { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" });
    if (!unshare) return undefined;
    const r = await runProcess([unshare, ...NAMESPACES, "true"], { env: { PATH: "/usr/bin:/bin" }, timeoutMs: 10_000 });
    return r.exitCode === 0 ? [unshare, ...NAMESPACES] : undefined;
  })();
  return probed;
}

/** SIGKILLs every process whose working directory is inside `dir`: what a script left behind, even in a new session. */
export function killStrays(dir: string): number {
  let killed = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) {
        process.kill(Number(pid), "SIGKILL");
        killed += 1;
      }
    } catch {
      // Gone already, or not ours to read.
    }
  }
  return killed;
}

// Runs first inside the namespaces: keeps the witness directory reachable under the run's directory, mounts each
// build cache read-only under the run's `caches/` (a cache whose read-only remount fails is unmounted, never left
// writable), hides the user's home under an empty tmpfs (mounts in a private mount namespace never reach the host),
// then becomes the script inside a nested user and mount namespace. That nesting is what keeps the home hidden and
// the caches read-only: mounts a less privileged namespace inherits are locked together with their flags, so the
// script — root of its own namespace — cannot unmount the tmpfs (umount answers EINVAL) or remount a cache writable.
// `mount` and `umount` are named by their paths, like `unshare`: the script's PATH (the user's) need not hold system directories.
const HIDE_HOME =
  'h=$1 w=$2 d=$3 u=$4 m=$5 um=$6 n=$7; shift 7; if [ -n "$w" ]; then mkdir -p "$d/witness" && "$m" --bind "$w" "$d/witness"; fi; ' +
  'while [ "$n" -gt 0 ]; do c="$d/caches/$2"; mkdir -p "$c" && "$m" --bind "$1" "$c" && { "$m" -o remount,ro,bind "$c" || "$um" "$c" || exit 1; }; shift 2; n=$((n - 1)); done; ' +
  '"$m" -t tmpfs -o size=1m,mode=0755 sekft-home "$h" && exec "$u" --user --map-root-user --mount -- "$@"';

/**
 * Host scripts for `verify --host`: only the env they are given, a fresh session (detached process group),
 * in namespaces when the host allows them (the user's `home` hidden for good, no network, a PID namespace),
 * else under an intermediate shell (so `$PPID` is not sekft); after each run everything left in the group
 * or working in the run's directory is killed. The verdict run gets the same treatment.
 */
export async function isolatedRunner(
  home: string | undefined,
  witnessDir: string,
  caches: BuildCache[] = [],
): Promise<{ runner: ScriptRunner; namespaces: boolean }> {
  const prefix = await namespacePrefix();
  const mount = Bun.which("mount", { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" }) ?? "mount";
  const umount = Bun.which("umount", { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" }) ?? "umount";
  const runner: ScriptRunner = (e) => {
    const hide = Boolean(prefix && home && home !== "/" && !`${e.dir}/`.startsWith(`${home}/`));
    // Caches only where they can be mounted read-only: inside the namespaces that also hide the home.
    const mounted = hide ? caches : [];
    const moveWitness = hide && `${witnessDir}/`.startsWith(`${home}/`);
    const moved = (p: string): string =>
      moveWitness && (p === witnessDir || p.startsWith(`${witnessDir}/`)) ? `${e.dir}/witness${p.slice(witnessDir.length)}` : p;
    const wrap = (argv: string[]): string[] => {
      if (!prefix) return ["/bin/sh", "-c", '"$@"; s=$?; exit "$s"', "sekft-script", ...argv];
      return hide
        ? [
            ...prefix,
            "/bin/sh",
            "-c",
            HIDE_HOME,
            "sekft-setup",
            home!,
            moveWitness ? witnessDir : "",
            e.dir,
            prefix[0]!,
            mount,
            umount,
            String(mounted.length),
            ...mounted.flatMap((c) => [c.host, c.name]),
            ...argv,
          ]
        : [...prefix, ...argv];
    };
    const withCaches = { ...cacheEnv(mounted, `${e.dir}/caches`), ...e.env };
    const env = moveWitness ? { ...withCaches, PATH: (e.env.PATH ?? "").split(":").map(moved).join(":") } : withCaches;
    const exec: ScriptExec = { ...e, env, ...(e.final ? { final: { ...e.final, witness: moved(e.final.witness) } } : {}) };
    return runWithVerdict(exec, async (argv, runEnv, timeoutMs) => {
      try {
        return await runProcess(wrap(argv), { cwd: e.work, env: runEnv, timeoutMs, signal: e.signal, maxOutput: e.maxOutput });
      } finally {
        killStrays(e.dir);
      }
    });
  };
  return { runner, namespaces: prefix !== undefined };
}
