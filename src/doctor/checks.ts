import type { ShellConfig } from "../config/shell-schema.ts";
import { runProcess } from "../proc/run.ts";
import { locateWitness, which, WITNESS_VERSION } from "../witness/locate.ts";
import { pingDocker } from "./docker-ping.ts";
import { probeOverHttp } from "./sandbox-probe.ts";

export interface Check {
  name: string;
  ok: boolean;
  required: boolean;
  path?: string;
  version?: string;
  fix?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

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
async function tool(name: string, argv: string[], env: Env, fix: string, bin?: string | null): Promise<Check> {
  const path = bin === null ? undefined : (bin ?? which(name, env.PATH));
  if (!path) return { name, ok: false, required: true, fix };
  const version = await versionOf([path, ...argv], env);
  return version ? { name, ok: true, required: true, path, version } : { name, ok: false, required: true, path, fix: `${path} did not run: ${fix}` };
}

/**
 * The sandbox as containers get it, read from inside: an operator exec's and a checker exec's capabilities,
 * the seccomp filter, and whether the engine remaps users. Not required (the witness track runs without it).
 */
export async function sandboxCheck(env: Env, shell: ShellConfig): Promise<Check> {
  try {
    const held = await probeOverHttp(env, shell);
    if (!held) return { name: "sandbox", ok: false, required: false, fix: `the image ${shell.image} is not built: sekft sandbox build --offline` };
    const caps = (c: string[]): string => (c.length ? c.join(",") : "none");
    const filtered = held.operator.seccomp === 2 && held.checker.seccomp === 2;
    const version = [
      `operator caps ${caps(held.operator.effective)}`,
      `checker (root) caps ${caps(held.checker.effective)}`,
      `seccomp ${filtered ? "on" : "OFF"}`,
      `userns-remap ${held.userns ? "on" : "off (recommended)"}`,
    ].join("; ");
    return { name: "sandbox", ok: filtered, required: false, version, ...(filtered ? {} : { fix: "the seccomp profile is not in force" }) };
  } catch (error) {
    return { name: "sandbox", ok: false, required: false, fix: (error as Error).message };
  }
}

/** Finds every external piece the default config needs and says how to fix what is missing. */
export async function runChecks(env: Env, witnessBin = ""): Promise<Check[]> {
  const setup = "run scripts/setup.sh";
  const [witness, openssl, git, jq, dash, docker] = await Promise.all([
    tool(
      "witness",
      ["version"],
      env,
      `${setup} (builds witness ${WITNESS_VERSION} into the tools cache) or set SEKFT_WITNESS`,
      locateWitness(env, witnessBin) ?? null,
    ),
    tool("openssl", ["version"], env, "apt-get install openssl"),
    tool("git", ["--version"], env, "apt-get install git"),
    tool("jq", ["--version"], env, "apt-get install jq (inspect examples decode attestations with it)"),
    (async (): Promise<Check> => {
      const path = which("dash", env.PATH);
      return path
        ? { name: "dash", ok: true, required: true, path, version: "present" }
        : { name: "dash", ok: false, required: true, fix: "apt-get install dash" };
    })(),
    (async (): Promise<Check> => {
      const ping = await pingDocker(env);
      return ping.ok
        ? { name: "docker", ok: true, required: true, version: `engine ${ping.version} (API ${ping.api})` }
        : { name: "docker", ok: false, required: true, fix: `${ping.reason}; ${setup} installs docker.io and starts dockerd` };
    })(),
  ]);
  return [witness, openssl, git, jq, dash, docker];
}
