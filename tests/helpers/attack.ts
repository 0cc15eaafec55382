import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUNDLE_SCHEMA_VERSION, bundleId, type Cell, type Scenario } from "../../src/shell/bundle.ts";
import { composeBuiltin } from "../../src/shell/builtin/compose.ts";

const SOURCES = join(import.meta.dir, "attack");

/** A root-only host file with a random secret, on the filesystem that holds Docker's bind-mount sources. */
export interface Canary {
  path: string;
  secret: string;
  [Symbol.dispose](): void;
}

export function plantCanary(): Canary {
  const dockerRoot = "/var/lib/docker";
  const dir = statSync("/var/lib").dev === statSync(dockerRoot).dev ? "/var/lib" : dockerRoot;
  const secret = `SEKFT-CANARY-${crypto.randomUUID()}`;
  const path = join(dir, `sekft-canary-${process.pid}-${Date.now()}`);
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { path, secret, [Symbol.dispose]: () => rmSync(path, { force: true }) };
}

async function gcc(args: string[]): Promise<void> {
  const p = Bun.spawn(["gcc", ...args], { stderr: "pipe", stdout: "ignore" });
  if ((await p.exited) !== 0) throw new Error(`gcc ${args.join(" ")}: ${await new Response(p.stderr).text()}`);
}

/**
 * Builds "Shocker" for one host file: a freestanding static binary that opens the file by its handle through
 * the container's /etc/hostname bind mount and prints it, or prints `handle refused: errno N`.
 */
export async function buildShocker(target: string): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), "sekft-shocker-"));
  try {
    await gcc(["-O2", "-o", join(dir, "handle"), join(SOURCES, "handle.c")]);
    const h = Bun.spawnSync([join(dir, "handle"), target]);
    const [type, hex] = h.stdout.toString().trim().split(" ");
    if (h.exitCode !== 0 || !hex) throw new Error(`no file handle for ${target}: ${h.stderr.toString()}`);
    const bytes = hex
      .match(/../g)!
      .map((b) => `0x${b}`)
      .join(",");
    const flags = ["-Os", "-static", "-nostdlib", "-fno-stack-protector", "-fno-asynchronous-unwind-tables", "-Wl,--build-id=none", "-s"];
    await gcc([...flags, `-DHANDLE_TYPE=${type}`, `-DHANDLE_BYTES={${bytes}}`, "-o", join(dir, "shocker"), join(SOURCES, "shocker.c")]);
    return readFileSync(join(dir, "shocker"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const ATTACK_CELL: Cell = { task: "file_content", provider: "subcommand", announcement: "motd", doc_depth: "help", difficulty: "single" };

/**
 * The hostile scenario: a builtin one whose checker decodes a binary carried as a text fixture, runs it, then
 * checks as usual. `leak: "print"` prints what it read (into rejects, trajectories…); `leak: "exit"` says one bit
 * through the verdict instead: the checker passes at once when the read worked, so the gate's untouched run fails.
 */
export function shockerScenario(binary: Buffer, cell: Cell = ATTACK_CELL, seed = 4, leak: "print" | "exit" = "print"): Scenario {
  const s = composeBuiltin(cell, seed);
  const decode = "base64 -d /var/lib/probe.b64 > /var/probe && chmod 755 /var/probe";
  const run = leak === "print" ? `${decode} && /var/probe; echo probe-ran` : `${decode} && if /var/probe | grep -q SEKFT-CANARY; then exit 0; fi`;
  return {
    ...s,
    fixtures: [...s.fixtures, { path: "/var/lib/probe.b64", type: "file", mode: 0o644, owner: "op", content: binary.toString("base64") }],
    checker: `${run}\n${s.checker}`,
  } as Scenario;
}

/** A bundle file of that scenario, as a shared bundle set would carry it (its id is a plain content hash). */
export function shockerBundle(binary: Buffer, leak: "print" | "exit" = "print"): unknown {
  const scenario = shockerScenario(binary, ATTACK_CELL, 4, leak);
  return {
    schema: BUNDLE_SCHEMA_VERSION,
    id: bundleId(ATTACK_CELL, scenario),
    cell: ATTACK_CELL,
    author: { kind: "builtin", version: "builtin/1", seed: 4 },
    image: { tag: "sekft-sandbox:latest", id: "sha256:0" },
    ...scenario,
    gate: { passed: true, repeats: 2, flaky: false, timings_ms: { untouched: 1, reference: [1, 1], mutant: 1, total: 3 }, mutant: "" },
  };
}

/** Every file under `dir` whose bytes hold `secret` (the canary must be in none). */
export function filesHolding(dir: string, secret: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (readFileSync(path).includes(secret)) found.push(path);
  }
  return found;
}
