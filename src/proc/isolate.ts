import { readdirSync, readlinkSync } from "node:fs";
import { type RunResult, runProcess } from "./run.ts";

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
}

/** What a runner reports back (a subset of `RunResult`). */
export type ScriptRun = Pick<RunResult, "exitCode" | "stderr" | "timedOut" | "aborted" | "durationMs" | "cpuSeconds">;

/** Runs a script somewhere: a host process, an isolated host process, or a sandbox container. */
export type ScriptRunner = (exec: ScriptExec) => Promise<ScriptRun>;

/** A plain host process in its own process group (what generation uses for our own scripts). */
export const plainRunner: ScriptRunner = (e) =>
  runProcess(e.argv, { cwd: e.work, env: e.env, timeoutMs: e.timeoutMs, signal: e.signal, maxOutput: e.maxOutput });

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

// Runs first inside the namespaces: keeps the witness directory reachable under the run's directory, hides
// the user's home under an empty tmpfs (mounts in a private mount namespace never reach the host), then
// becomes the script.
const HIDE_HOME =
  'h=$1 w=$2 d=$3; shift 3; if [ -n "$w" ]; then mkdir "$d/witness" && mount --bind "$w" "$d/witness"; fi; mount -t tmpfs -o size=1m,mode=0755 sekft-home "$h" && exec "$@"';

/**
 * Host scripts for `verify --host`: only the env they are given, a fresh session (detached process group),
 * in namespaces when the host allows them (the user's `home` hidden, no network, a PID namespace), else
 * under an intermediate shell (so `$PPID` is not sekft); at the end everything left in the group or working
 * in the run's directory is killed.
 */
export async function isolatedRunner(home: string | undefined, witnessDir: string): Promise<{ runner: ScriptRunner; namespaces: boolean }> {
  const prefix = await namespacePrefix();
  const runner: ScriptRunner = async (e) => {
    let argv = ["/bin/sh", "-c", '"$@"; s=$?; exit "$s"', "sekft-script", ...e.argv];
    let env = e.env;
    if (prefix) {
      const hide = home && home !== "/" && !`${e.dir}/`.startsWith(`${home}/`);
      const moveWitness = hide && `${witnessDir}/`.startsWith(`${home}/`);
      argv = hide ? [...prefix, "/bin/sh", "-c", HIDE_HOME, "sekft-setup", home, moveWitness ? witnessDir : "", e.dir, ...e.argv] : [...prefix, ...e.argv];
      if (moveWitness)
        env = {
          ...env,
          PATH: (env.PATH ?? "")
            .split(":")
            .map((p) => (p === witnessDir ? `${e.dir}/witness` : p))
            .join(":"),
        };
    }
    try {
      return await runProcess(argv, { cwd: e.work, env, timeoutMs: e.timeoutMs, signal: e.signal, maxOutput: e.maxOutput });
    } finally {
      killStrays(e.dir);
    }
  };
  return { runner, namespaces: prefix !== undefined };
}
