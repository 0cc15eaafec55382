import { existsSync } from "node:fs";
import type { ShellConfig } from "../config/shell-schema.ts";
import type { WitnessConfig } from "../config/witness-schema.ts";
import { runProcess } from "../proc/run.ts";
import { locateWitness, PACKAGE_TOOLS, which, WITNESS_HINT, WITNESS_VERSION } from "../witness/locate.ts";
import { pingDocker } from "./docker-ping.ts";
import { probeOverHttp } from "./sandbox-probe.ts";

/** The tracks `doctor --track` asks about; `all` is every command. */
export const DOCTOR_TRACKS = ["all", "witness", "shell"] as const;
export type DoctorTrack = (typeof DOCTOR_TRACKS)[number];

export interface Check {
  name: string;
  ok: boolean;
  /** Missing it fails the doctor for the track asked (exit 2); otherwise it is a warning. */
  required: boolean;
  /** The commands that need it. */
  for: string;
  path?: string;
  version?: string;
  /** The exact way to get it (or what happens without it). */
  fix?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

// What needs each piece, as a user runs it.
const WITNESS_TRACK = "gen --track witness, verify, eval of witness data";
const SANDBOXED = "gen --track shell, rollout, sandbox, eval of bundles, and verify's default sandbox (without Docker: verify --host)";

async function versionOf(argv: string[], env: Env): Promise<string | undefined> {
  try {
    const r = await runProcess(argv, { env: { PATH: env.PATH ?? "", HOME: env.HOME ?? "/tmp" }, timeoutMs: 10_000 });
    if (r.exitCode !== 0) return undefined;
    return (r.stdout || r.stderr).trim().split("\n")[0];
  } catch {
    // Gone, or not executable, since it was found: the report says it did not run.
    return undefined;
  }
}

/** A tool's check; `bin` is where it was found (null: looked for and not found), else it is looked up on PATH. */
async function tool(name: string, argv: string[], env: Env, meta: { for: string; fix: string; required: boolean }, bin?: string | null): Promise<Check> {
  const base = { name, required: meta.required, for: meta.for };
  const path = bin === null ? undefined : (bin ?? which(name, env.PATH));
  if (!path) return { ...base, ok: false, fix: meta.fix };
  const version = await versionOf([path, ...argv], env);
  return version ? { ...base, ok: true, path, version } : { ...base, ok: false, path, fix: `${path} did not run: ${meta.fix}` };
}

/** A system package's way in, for the fix lines (Debian is what setup.sh and the sandbox image use). */
function install(debian: string, brew = debian): string {
  return `install it: apt-get install ${debian} (Debian/Ubuntu), brew install ${brew} (macOS)`;
}

/**
 * The sandbox as containers get it, read from inside: an operator exec's and a checker exec's capabilities,
 * the seccomp filter, and whether the engine remaps users. Not required (the witness track runs without it).
 */
export async function sandboxCheck(env: Env, shell: ShellConfig): Promise<Check> {
  const base = { name: "sandbox", required: false, for: "gen --track shell, rollout" };
  try {
    const held = await probeOverHttp(env, shell);
    if (!held) return { ...base, ok: false, fix: `the image ${shell.image} is not built: sekft sandbox build --offline` };
    const caps = (c: string[]): string => (c.length ? c.join(",") : "none");
    const filtered = held.operator.seccomp === 2 && held.checker.seccomp === 2;
    const version = [
      `operator caps ${caps(held.operator.effective)}`,
      `checker (root) caps ${caps(held.checker.effective)}`,
      `seccomp ${filtered ? "on" : "OFF"}`,
      `userns-remap ${held.userns ? "on" : "off (recommended)"}`,
    ].join("; ");
    return { ...base, ok: filtered, version, ...(filtered ? {} : { fix: "the seccomp profile is not in force" }) };
  } catch (error) {
    return { ...base, ok: false, fix: (error as Error).message };
  }
}

/** A file the offline sandbox build packs from this host. */
function hostFile(name: string, path: string, fix: string): Check {
  const base = { name, required: false, for: "sandbox build --offline (the online build needs neither)" };
  return existsSync(path) ? { ...base, ok: true, path, version: "present" } : { ...base, ok: false, fix: `${path} is missing: ${fix}` };
}

/**
 * The build tools of the configured witness commands: gen uses the commands whose tool is here and leaves out
 * the rest (it probes each at start); never required, since the docs-site commands need only POSIX tools.
 */
function buildTools(env: Env, witness: WitnessConfig): Check {
  const tools = [...new Set(witness.commands.map((c) => c.tool))];
  const present = tools.filter((t) => which(t, env.PATH));
  const absent = tools.filter((t) => !present.includes(t));
  const usable = witness.commands.filter((c) => present.includes(c.tool)).length;
  const base = { name: "build-tools", required: false, for: "gen --track witness: each example builds with one configured command" };
  const version = `${usable} of ${witness.commands.length} commands can run (${present.join(" ") || "no tool"})`;
  if (!absent.length) return { ...base, ok: true, version };
  return {
    ...base,
    ok: false,
    version,
    fix: `absent: ${absent.join(" ")} — gen leaves out the commands that need them (${witness.commands.length - usable}); install any of them to add its commands`,
  };
}

/** Finds every external piece sekft's commands need, says which commands need it and how to get what is missing. */
export async function runChecks(env: Env, witness: WitnessConfig, track: DoctorTrack = "all"): Promise<Check[]> {
  const forWitness = track !== "shell";
  const forShell = track !== "witness";
  const essential = { for: WITNESS_TRACK, required: forWitness };
  const [found, openssl, git, jq, packages, docker] = await Promise.all([
    tool("witness", ["version"], env, { ...essential, fix: WITNESS_HINT }, locateWitness(env, witness.witness_bin) ?? null),
    tool("openssl", ["version"], env, { ...essential, fix: install("openssl") }),
    tool("git", ["--version"], env, { ...essential, fix: install("git") }),
    tool("jq", ["--version"], env, {
      for: "gen --track witness (inspect examples decode attestations with it), verify of inspect examples",
      required: forWitness && (witness.families.inspect?.weight ?? 0) > 0,
      fix: install("jq"),
    }),
    (async (): Promise<Check> => {
      const found = PACKAGE_TOOLS.map((t) => which(t, env.PATH)).find(Boolean);
      const base = { name: "packages", required: false, for: "gen --track witness: the system-packages attestor (witness runs dpkg-query or rpm)" };
      return found
        ? { ...base, ok: true, path: found, version: "present" }
        : { ...base, ok: false, fix: `neither ${PACKAGE_TOOLS.join(" nor ")} is on PATH: gen leaves the system-packages attestor out` };
    })(),
    (async (): Promise<Check> => {
      const ping = await pingDocker(env);
      const base = { name: "docker", required: forShell, for: SANDBOXED };
      return ping.ok
        ? { ...base, ok: true, version: `engine ${ping.version} (API ${ping.api})` }
        : {
            ...base,
            ok: false,
            fix: `${ping.reason}; install Docker Engine (Debian: apt-get install docker.io, then start dockerd) or point DOCKER_HOST at one`,
          };
    })(),
  ]);
  // Another witness release may run, but its attestors and messages are not the ones sekft is tested against.
  const witnessCheck =
    found.ok && !found.version?.includes(WITNESS_VERSION) ? { ...found, version: `${found.version} (sekft is tested against ${WITNESS_VERSION})` } : found;
  return [
    witnessCheck,
    openssl,
    git,
    jq,
    docker,
    hostFile("dash", "/usr/bin/dash", "apt-get install dash"),
    hostFile("busybox", "/bin/busybox", "apt-get install busybox-static"),
    packages,
    buildTools(env, witness),
  ];
}

/** One line per track: ready, or what it lacks (the checks it requires that failed). */
export function readiness(checks: Check[]): string[] {
  const missing = (names: string[]): string[] => checks.filter((c) => names.includes(c.name) && !c.ok).map((c) => c.name);
  const witness = missing(["witness", "openssl", "git", "jq"]);
  const shell = missing(["docker"]);
  const line = (what: string, lacking: string[]): string => `${what}: ${lacking.length ? `not ready, missing ${lacking.join(", ")}` : "ready"}`;
  return [
    line(`witness track (gen --track witness, verify${shell.length ? " --host" : ""})`, witness),
    line("shell track (gen --track shell, rollout, sandboxed verify)", shell),
  ];
}
