import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { ConfigError } from "../errors.ts";

/** The witness release sekft is built and tested against. */
export const WITNESS_VERSION = "v0.11.0";

/** The package managers witness's system-packages attestor runs (dpkg-query on Debian and the rest, rpm on RPM systems). */
export const PACKAGE_TOOLS = ["dpkg-query", "rpm"] as const;

/** Where the setup script caches tool builds, outside any checkout so fresh clones reuse them. */
export function toolsDir(env: Readonly<Record<string, string | undefined>>): string {
  if (env.SEKFT_TOOLS_DIR) return env.SEKFT_TOOLS_DIR;
  const cache = env.XDG_CACHE_HOME || join(env.HOME || "/root", ".cache");
  return join(cache, "sekft", "tools");
}

/** Finds a program on a PATH string. */
export function which(cmd: string, path: string | undefined): string | undefined {
  if (cmd.includes("/")) return existsSync(cmd) ? cmd : undefined;
  for (const dir of (path ?? "").split(":")) {
    if (dir && existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return undefined;
}

/** Refuses a configured `witness.witness_bin` that is not an executable regular file, naming the key. */
export function checkWitnessBin(configured: string): void {
  if (!configured) return;
  const bad = (why: string): ConfigError =>
    new ConfigError(
      `witness.witness_bin: ${configured} ${why}`,
      "Point it at the witness binary, or leave it empty to use $SEKFT_WITNESS, the tools cache or PATH.",
    );
  let isFile: boolean;
  try {
    isFile = statSync(configured).isFile();
  } catch {
    throw bad("does not exist");
  }
  if (!isFile) throw bad("is not a regular file (a directory?)");
  try {
    accessSync(configured, constants.X_OK);
  } catch {
    throw bad("is not executable");
  }
}

/** Every way to get witness, for the message that says it is missing. */
export const WITNESS_HINT =
  `Put witness ${WITNESS_VERSION} beside sekft, on PATH, or name it with SEKFT_WITNESS or witness.witness_bin: ` +
  `its release binary from github.com/in-toto/witness/releases (check it against the release's checksums), ` +
  `\`go install github.com/in-toto/witness@${WITNESS_VERSION}\` (Go 1.26+), or scripts/setup.sh in a checkout ` +
  "(builds it into the tools cache, from a module mirror where the proxy refuses it).";

/**
 * The directory of the compiled sekft binary, where a release user puts witness; undefined when running from
 * source (then the executable is Bun itself). Inside the binary every module's URL lies under Bun's /$bunfs/.
 */
export function binaryDir(): string | undefined {
  return import.meta.url.includes("/$bunfs/") ? dirname(process.execPath) : undefined;
}

/**
 * Resolves the witness binary: config, then $SEKFT_WITNESS, then beside the sekft binary, then the setup
 * cache, then PATH. `besideDir` is the directory of the running binary (binaryDir()).
 */
export function locateWitness(env: Readonly<Record<string, string | undefined>>, configured = "", besideDir = binaryDir()): string | undefined {
  checkWitnessBin(configured);
  if (configured) return configured;
  if (env.SEKFT_WITNESS) return existsSync(env.SEKFT_WITNESS) ? env.SEKFT_WITNESS : undefined;
  const beside = besideDir ? join(besideDir, "witness") : undefined;
  if (beside && isExecutableFile(beside)) return beside;
  const cached = join(toolsDir(env), `witness-${WITNESS_VERSION}`, "witness");
  if (existsSync(cached)) return cached;
  return which("witness", env.PATH);
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
