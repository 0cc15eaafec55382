import { existsSync, lstatSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import type { ShellConfig } from "../config/shell-schema.ts";
import type { RunContext } from "../context.ts";
import { configDigest } from "../dataset/manifest.ts";
import { parseToml } from "../config/load.ts";
import { ConfigError, InputError, InterruptedError, WorkFailedError } from "../errors.ts";
import { readBoundedFile, resolveInside } from "../files.ts";
import { DockerEngine, engineOptions } from "../sandbox/docker.ts";
import { openImage } from "../sandbox/image.ts";
import { parseTerminal } from "../sandbox/session.ts";
import { AuthorSchema, BUNDLE_SCHEMA_VERSION, type Bundle, bundleId, type Cell, CellSchema, parseScenario, type Scenario } from "../shell/bundle.ts";
import { gateScenario } from "../shell/gate.ts";
import { BundleStore, shellIdentity } from "../shell/store.ts";
import { printable } from "../ui/format.ts";
import { harborLimits } from "./export.ts";
import { CHECKER_FILE, FILES_DIR, parseDockerfile, parseSolve, renderCompose, renderTestSh, terminalCommand } from "./task.ts";

/** A task read back, ready for the gate, or why it is refused (the file named and the reason). */
export type ReadTask = { ok: true; dir: string; cell: Cell; author: Bundle["author"]; scenario: Scenario } | { ok: false; dir: string; why: string };

/** The cell of a task sekft did not write: a task from elsewhere, its instruction the login text. */
const FOREIGN_CELL: Cell = { task: "harbor", provider: "harbor", announcement: "login_banner", doc_depth: "readme", difficulty: "single" };
const TOML_CAP = 2 ** 20;
const DOCKERFILE_CAP = 2 ** 20;

class Refused extends Error {}

/** The whole of a file inside the task directory, bounded; a path that leaves it, a link or a special file is refused. */
function readInside(dir: string, rel: string, maxBytes: number, what: string): string {
  const inside = resolveInside(dir, rel);
  if (!inside.ok) throw new Refused(`${rel} ${inside.why}`);
  if (!inside.exists) throw new Refused(`${rel}: missing`);
  if (lstatSync(join(dir, rel)).isSymbolicLink()) throw new Refused(`${rel}: a symlink (a task's files must be regular files)`);
  const bytes = readBoundedFile(inside.path, maxBytes, what);
  const text = bytes.toString("utf8");
  if (!Buffer.from(text, "utf8").equals(bytes)) throw new Refused(`${rel}: not UTF-8 text`);
  return text;
}

function table(raw: unknown, key: string): Record<string, unknown> {
  const v = (raw as Record<string, unknown> | undefined)?.[key];
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Reads one Harbor task directory as untrusted input into a scenario (nothing is run). */
export function readTask(dir: string, shell: ShellConfig): ReadTask {
  try {
    if (!existsSync(dir) || !lstatSync(dir).isDirectory()) throw new Refused("not a directory");
    let toml: Record<string, unknown>;
    try {
      toml = parseToml(readInside(dir, "task.toml", TOML_CAP, "task.toml"), "task.toml");
    } catch (error) {
      if (error instanceof ConfigError) throw new Refused(error.message);
      throw error;
    }
    const metadata = table(toml, "metadata");
    const task = table(toml, "task");
    if (existsSync(join(dir, "steps"))) throw new Refused("steps/: a multi-step task has no single scenario");
    const limits = shell.limits;
    const envDir = join(dir, "environment");
    for (const entry of existsSync(envDir) ? readdirSync(envDir) : []) {
      if (entry !== "Dockerfile" && entry !== FILES_DIR && entry !== "docker-compose.yaml")
        throw new Refused(`environment/${entry}: sekft builds only a Dockerfile over its sandbox image and files/`);
    }
    if (existsSync(join(envDir, "docker-compose.yaml")) && readInside(dir, "environment/docker-compose.yaml", 4096, "compose file") !== renderCompose())
      throw new Refused("environment/docker-compose.yaml: not sekft's (only `network_mode: none` for main); other services cannot run in sekft's sandbox");
    // Fixtures are read relative to the task dir itself (an environment/ that is a link cannot move the root), and
    // their count and total size are bounded while reading, before the scenario's own rules see them.
    let count = 0;
    let total = 0;
    const docker = parseDockerfile(readInside(dir, "environment/Dockerfile", DOCKERFILE_CAP, "Dockerfile"), (rel) => {
      if (++count > limits.max_fixtures) throw new Refused(`environment/Dockerfile: more than ${limits.max_fixtures} fixtures ([shell.limits] max_fixtures)`);
      const text = readInside(dir, `environment/${rel}`, limits.max_file_bytes, "fixture");
      total += Buffer.byteLength(text);
      if (total > limits.max_total_bytes)
        throw new Refused(`environment/${FILES_DIR}: over ${limits.max_total_bytes} bytes in all ([shell.limits] max_total_bytes)`);
      return text;
    });
    if (!docker.ok) throw new Refused(`environment/Dockerfile ${docker.why}`);
    const login = readInside(dir, "instruction.md", 4 * 4096, "instruction");
    const steps = parseSolve(readInside(dir, "solution/solve.sh", (limits.max_commands + 1) * 4096, "solution"));
    if (steps.length === 0) throw new Refused("solution/solve.sh: no command");
    const terminal = terminalCommand(metadata.terminal_command);
    if (typeof terminal !== "string") throw new Refused(`task.toml ${terminal.error}`);
    const testSh = readInside(dir, "tests/test.sh", limits.max_checker_bytes, "test script");
    const ours = testSh === renderTestSh(harborLimits(shell)) || /^# sekft's check \(Episode\.check\)/m.test(testSh);
    const checker = ours ? readInside(dir, `tests/${CHECKER_FILE}`, limits.max_checker_bytes, "checker") : testSh;
    const cellRead = metadata.cell === undefined ? { success: true as const, data: FOREIGN_CELL } : CellSchema.safeParse(metadata.cell);
    if (!cellRead.success) throw new Refused(`task.toml metadata.cell: ${cellRead.error.issues[0]!.path.join(".")}: ${cellRead.error.issues[0]!.message}`);
    const rawAuthor = table(metadata, "author");
    const name = typeof task.name === "string" ? task.name : relative(".", dir);
    const authorInput =
      metadata.author === undefined
        ? { kind: "model", model: `harbor:${name}`, prompt_version: "harbor", usage: { prompt_tokens: 0, completion_tokens: 0 }, attempts: 1 }
        : rawAuthor.kind === "model"
          ? {
              kind: "model",
              model: rawAuthor.model,
              prompt_version: rawAuthor.prompt_version,
              usage: { prompt_tokens: rawAuthor.prompt_tokens, completion_tokens: rawAuthor.completion_tokens },
              attempts: rawAuthor.attempts,
            }
          : rawAuthor;
    const author = AuthorSchema.safeParse(authorInput);
    if (!author.success) throw new Refused(`task.toml metadata.author: ${author.error.issues[0]!.path.join(".")}: ${author.error.issues[0]!.message}`);
    const parsed = parseScenario(
      {
        login_text: login,
        env: docker.env,
        fixtures: docker.fixtures,
        reference: [...steps, { cmd: terminal, work: false }],
        terminal: parseTerminal(terminal)!.kind,
        checker,
        decoy: metadata.decoy ?? [],
        ...(metadata.mistakes === undefined ? {} : { mistakes: metadata.mistakes }),
      },
      limits,
    );
    if (!parsed.ok) throw new Refused(parsed.reason);
    return { ok: true, dir, cell: cellRead.data, author: author.data, scenario: parsed.scenario };
  } catch (error) {
    if (error instanceof Refused) return { ok: false, dir, why: error.message };
    if (error instanceof InputError) return { ok: false, dir, why: error.message };
    throw error;
  }
}

/**
 * `sekft import harbor TASK_DIR… --out DIR`: every task is read first (untrusted: bounded reads inside its
 * directory, sekft's own Dockerfile form only, the bundle's safety rules); each one that reads becomes a scenario
 * and goes through the three-way gate; passing ones are written as bundles to OUT/shell/bundles, failing ones to
 * rejects.jsonl. A refused task is exit 2, a gate failure exit 1.
 */
export async function importHarbor(ctx: RunContext, dirs: string[], out: string): Promise<{ imported: number; refused: number; failed: number }> {
  const shell = ctx.config.shell;
  const read = dirs.map((dir) => readTask(dir, shell));
  for (const r of read) if (!r.ok) ctx.log.error(`${r.dir}: refused: ${printable(r.why)}`);
  const ok = read.filter((r) => r.ok);
  let imported = 0;
  let failed = 0;
  if (ok.length > 0) {
    using store = new BundleStore(out, shellIdentity({ config_digest: configDigest(ctx.config), seed: 0, shard: "none", author: "harbor" }));
    await using engine = await DockerEngine.connect(ctx.env, engineOptions(ctx));
    await engine.reapOrphans();
    const image = await openImage(engine, shell.image, () => ctx.log.info(`building the sandbox image offline (no ${shell.image} yet)`));
    const env = { engine, image, sandbox: shell.sandbox, signal: ctx.signal };
    for (const t of ok) {
      if (ctx.signal.aborted) throw new InterruptedError();
      const id = bundleId(t.cell, t.scenario);
      const gate = await gateScenario(env, t.cell, t.scenario, shell.gate_repeats);
      if (!gate.passed) {
        failed++;
        ctx.log.warn(`${t.dir}: the gate refused it: ${printable(gate.reason ?? "")}`);
        store.reject({ cell: t.cell, author: "harbor", stage: "gate", reason: `${t.dir}: ${gate.reason ?? ""}`, id });
        continue;
      }
      store.write({ schema: BUNDLE_SCHEMA_VERSION, id, cell: t.cell, author: t.author, image, ...t.scenario, gate });
      imported++;
      ctx.log.info(`${t.dir}: imported as bundle ${id}`);
    }
    store.writeManifest({
      config: ctx.config,
      seed: 0,
      requested: ok.length,
      shard: { index: 0, total: 1 },
      counts: { kept: imported, rejected: failed },
      image,
    });
  }
  const refused = read.length - ok.length;
  ctx.log.info(`${imported} imported, ${failed} failed the gate, ${refused} refused`);
  if (refused > 0) throw new InputError(`${refused} of ${read.length} task${read.length === 1 ? "" : "s"} refused (each named above)`);
  if (failed > 0) throw new WorkFailedError(`${failed} of ${read.length} task${read.length === 1 ? "" : "s"} failed the gate`);
  return { imported, refused, failed };
}
