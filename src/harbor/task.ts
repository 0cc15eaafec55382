import { createHash } from "node:crypto";
import { posix } from "node:path";
import type { ShellConfig } from "../config/shell-schema.ts";
import { BASE_ENV } from "../sandbox/container.ts";
import { rootOf } from "../sandbox/fixtures.ts";
import { OP_UID } from "../sandbox/rootfs.ts";
import { parseTerminal } from "../sandbox/session.ts";
import type { Bundle, Fixture, Scenario, Step } from "../shell/bundle.ts";

/** The Harbor task schema the export writes (harbor 0.25's `TaskConfig.schema_version`). */
export const HARBOR_SCHEMA = "1.4";
/** The one test.sh form sekft writes; a task carrying it has its checker in tests/checker.sh. */
export const CHECKER_FILE = "checker.sh";
/** Where fixture contents live inside a task's environment directory. */
export const FILES_DIR = "files";

/** One file of a task directory: its path relative to the task dir, its bytes, and whether it is executable. */
export interface TaskFile {
  path: string;
  content: string;
  executable?: boolean;
}

/** What a Harbor task needs from the sandbox limits. */
export type HarborLimits = Pick<ShellConfig["sandbox"], "cpus" | "memory_mb" | "disk_mb" | "command_timeout_s" | "checker_timeout_s"> & {
  max_commands: number;
};

// ---- TOML (written by hand: key order and quoting fixed, so a re-export is byte-identical) ----------------------

function tomlString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function tomlValue(v: unknown): string {
  if (typeof v === "string") return tomlString(v);
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(", ")}]`;
  // An inline table (a bundle's mistakes): bare keys only, as every key sekft writes is one.
  if (v && typeof v === "object")
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${k} = ${tomlValue(x)}`)
      .join(", ")} }`;
  throw new Error(`no TOML form for ${typeof v}`);
}

function tomlTable(name: string, entries: Record<string, unknown>): string {
  const lines = [`[${name}]`];
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) lines.push(`${k} = ${tomlValue(v)}`);
  return lines.join("\n");
}

/** The Harbor task name of a bundle: `sekft/<id>` (org/name, as Harbor requires). */
export function taskName(bundle: Pick<Bundle, "id">): string {
  return `sekft/${bundle.id}`;
}

// ---- the files of a task --------------------------------------------------------------------------------------

/** The environment variables a session starts with: the sandbox's own, then the scenario's. */
function sessionEnv(s: Scenario): Array<[string, string]> {
  return Object.entries({ ...BASE_ENV, ...s.env });
}

/** A Dockerfile ENV value in double quotes; a value no Dockerfile line can hold (a line break, a control byte) is refused. */
function dockerQuote(value: string): string | undefined {
  if (/[\u0000-\u001f\u007f]/.test(value)) return undefined;
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

/** The directories an Episode's tar holds for these fixtures: explicit ones as listed, parents 0755 owned by the root's owner. */
function directoryEntries(fixtures: Fixture[]): Array<{ path: string; mode: number; uid: number }> {
  const dirs = new Map<string, { path: string; mode: number; uid: number }>();
  for (const f of fixtures) {
    const root = rootOf(f.path);
    if (!root) continue;
    const defaultUid = root === "/home/op" ? OP_UID : 0;
    const parts = posix.relative(root, f.path).split("/");
    for (let i = 1; i < parts.length; i++) {
      const p = posix.join(root, ...parts.slice(0, i));
      if (!dirs.has(p)) dirs.set(p, { path: p, mode: 0o755, uid: defaultUid });
    }
    if (f.type === "dir") dirs.set(f.path, { path: f.path, mode: f.mode, uid: f.owner === "op" ? OP_UID : 0 });
  }
  return [...dirs.values()].sort((a, b) => a.path.split("/").length - b.path.split("/").length || a.path.localeCompare(b.path));
}

const uidOf = (f: Fixture): number => (f.owner === "op" ? OP_UID : 0);
const octal = (mode: number): string => mode.toString(8).padStart(4, "0");

/**
 * The Dockerfile: the Harbor base image (the sandbox image plus the bash Harbor's exec needs), then what
 * `Episode.open` does — every fixture's bytes COPYed from environment/files (data, never part of a RUN line), one
 * RUN that sets every owner and mode as the Episode's tar headers do (paths are limited to [A-Za-z0-9._+@/-] by
 * the bundle's own rules), and the session's environment.
 */
export function renderDockerfile(s: Scenario, base: string, id: string): string | { error: string } {
  const lines = [`# sekft shell scenario ${id}: the sandbox image holding the scenario's fixtures, as an Episode places them.`, `FROM ${base}`, "USER 0:0"];
  // In the fixtures' own order, so that import reads back the same list (the bundle id hashes it).
  for (const f of s.fixtures) {
    if (f.type === "dir") lines.push(`RUN mkdir -p ${f.path}`);
    else if (f.content === undefined) lines.push(`RUN touch ${f.path}`);
    else lines.push(`COPY --chown=${uidOf(f)}:${uidOf(f)} ${FILES_DIR}${f.path} ${f.path}`);
  }
  const setup: string[] = [];
  for (const d of directoryEntries(s.fixtures)) setup.push(`chown ${d.uid}:${d.uid} ${d.path}`, `chmod ${octal(d.mode)} ${d.path}`);
  for (const f of s.fixtures) if (f.type === "file") setup.push(`chown ${uidOf(f)}:${uidOf(f)} ${f.path}`, `chmod ${octal(f.mode)} ${f.path}`);
  if (setup.length > 0) lines.push(`RUN ${setup.join(" \\\n && ")}`);
  for (const [name, value] of sessionEnv(s)) {
    const quoted = dockerQuote(value);
    if (quoted === undefined) return { error: `env ${name} holds a line break or control character, which no Dockerfile ENV can carry` };
    lines.push(`ENV ${name}=${quoted}`);
  }
  lines.push(`USER ${OP_UID}:${OP_UID}`, "WORKDIR /home/op", "");
  return lines.join("\n");
}

/** A marker line no step contains: it separates the reference's steps in solve.sh, so import reads them back exactly. */
export function stepMarker(steps: Step[]): string {
  const token = createHash("sha256")
    .update(steps.map((st) => st.cmd).join("\0"))
    .digest("hex")
    .slice(0, 16);
  return `# sekft-step ${token}`;
}

/** solve.sh: the reference's commands before its terminal, in order, as the operator types them (cwd and exports carry over). */
export function renderSolve(s: Scenario): string {
  const steps = s.reference.slice(0, -1);
  const marker = stepMarker(s.reference);
  const lines = [
    "#!/bin/sh",
    "# The reference of a sekft shell scenario: each step as the operator types it, in order, as uid 1000 in /home/op.",
    `# Its terminal (\`${s.terminal}\`) is task.toml's metadata.terminal_command; Harbor has no terminal of its own.`,
    "cd /home/op || exit 1",
  ];
  for (const st of steps) lines.push(st.work ? `${marker} work` : marker, st.cmd);
  lines.push("");
  return lines.join("\n");
}

/**
 * tests/test.sh: sekft's check as `Episode.check` runs it. Harbor runs it as root (verifier.user) after uploading
 * tests/, so the agent never saw the checker. Every process uid 1000 left is killed (twice: forks in flight), then
 * the reward files are reset so nothing the agent wrote counts (a link it planted is removed, not followed), then the checker runs as root with a clean
 * environment and cwd `/` under the checker timeout; reward 1 only when it exits 0.
 */
export function renderTestSh(limits: HarborLimits): string {
  return [
    "#!/bin/sh",
    "# sekft's check (Episode.check): leftovers killed, then the checker as root with a clean env; reward 1 iff it exits 0.",
    '[ "$(id -u)" = 0 ] || { echo "test.sh: the check must run as root (task.toml verifier.user)" >&2; exit 1; }',
    "for pass in 1 2; do",
    "  for d in /proc/[0-9]*; do",
    '    [ "$d" = /proc/1 ] && continue',
    `    [ "$(stat -c %u "$d" 2>/dev/null)" = ${OP_UID} ] && kill -9 "\${d#/proc/}" 2>/dev/null`,
    "  done",
    "  sleep 0.05",
    "done",
    "# Only now, with nothing of the agent's left running to plant a link: the reward files start from 0.",
    "mkdir -p /logs/verifier",
    "rm -f /logs/verifier/reward.json /logs/verifier/reward.txt",
    "echo 0 > /logs/verifier/reward.txt",
    `checker=$(cat /tests/${CHECKER_FILE}) || exit 1`,
    "cd /",
    `env -i PATH=/usr/bin:/bin HOME=/ LC_ALL=C timeout -s KILL ${limits.checker_timeout_s} sh -c "$checker" checker`,
    "rc=$?",
    'echo "checker exit $rc"',
    "[ $rc -eq 0 ] && echo 1 > /logs/verifier/reward.txt",
    "exit 0",
    "",
  ].join("\n");
}

/** environment/docker-compose.yaml, merged by Harbor over its own: no network, as sekft's sandbox has none. */
export function renderCompose(): string {
  return [
    "# Merged by Harbor over its own compose file. As in sekft's sandbox: no network, and PID 1 is root, so the check can",
    "# kill every process of uid 1000 (the agent, task.toml agent.user) without ending the container.",
    "services:",
    "  main:",
    "    network_mode: none",
    '    user: "0:0"',
    "",
  ].join("\n");
}

/** task.toml: name, the bundle's record (cell, author, gate without timings, image), limits from the sandbox config. */
export function renderTaskToml(bundle: Bundle, limits: HarborLimits, base: string): string {
  const terminal = bundle.reference.at(-1)!.cmd;
  const { timings_ms: _t, ...gate } = bundle.gate;
  const author = bundle.author.kind === "model" ? { ...bundle.author, usage: undefined, ...bundle.author.usage } : bundle.author;
  return [
    `schema_version = ${tomlString(HARBOR_SCHEMA)}`,
    `source = "sekft"`,
    "",
    tomlTable("task", {
      name: taskName(bundle),
      description: `sekft shell scenario: ${bundle.cell.task} through ${bundle.cell.provider} (${bundle.cell.difficulty})`,
      keywords: ["sekft", "shell", bundle.cell.task, bundle.cell.difficulty],
    }),
    "",
    tomlTable("metadata", {
      sekft_schema: bundle.schema,
      bundle_id: bundle.id,
      image_tag: bundle.image.tag,
      image_digest: bundle.image.id,
      harbor_base: base,
      terminal: bundle.terminal,
      terminal_command: terminal,
      decoy: bundle.decoy,
      mistakes: bundle.mistakes,
    }),
    "",
    tomlTable("metadata.cell", bundle.cell),
    "",
    tomlTable("metadata.author", author),
    "",
    tomlTable("metadata.gate", gate),
    "",
    tomlTable("verifier", { timeout_sec: limits.checker_timeout_s + 20, user: "root", environment_mode: "shared" }),
    "",
    tomlTable("agent", { timeout_sec: limits.max_commands * limits.command_timeout_s, user: String(OP_UID) }),
    "",
    tomlTable("environment", { build_timeout_sec: 600, cpus: limits.cpus, memory_mb: limits.memory_mb, storage_mb: limits.disk_mb }),
    "",
  ].join("\n");
}

/** Every file of the task directory of one bundle, or why the bundle cannot be a Harbor task. */
export function renderTask(bundle: Bundle, limits: HarborLimits, base: string): TaskFile[] | { error: string } {
  const dockerfile = renderDockerfile(bundle, base, bundle.id);
  if (typeof dockerfile !== "string") return dockerfile;
  const files: TaskFile[] = [
    { path: "task.toml", content: renderTaskToml(bundle, limits, base) },
    { path: "instruction.md", content: bundle.login_text },
    { path: "environment/Dockerfile", content: dockerfile },
    { path: "environment/docker-compose.yaml", content: renderCompose() },
  ];
  for (const f of bundle.fixtures)
    if (f.type === "file" && f.content !== undefined) files.push({ path: `environment/${FILES_DIR}${f.path}`, content: f.content });
  files.push(
    { path: "solution/solve.sh", content: renderSolve(bundle), executable: true },
    { path: "tests/test.sh", content: renderTestSh(limits), executable: true },
    { path: `tests/${CHECKER_FILE}`, content: bundle.checker },
  );
  return files;
}

// ---- reading a task back ---------------------------------------------------------------------------------------

/** The Dockerfile of a task read back into fixtures and env, or the first line sekft cannot build offline. */
export function parseDockerfile(
  text: string,
  readFile: (rel: string) => string,
): { ok: true; base: string; fixtures: Fixture[]; env: Record<string, string> } | { ok: false; why: string } {
  const lines = text.replace(/\\\n/g, "\u0000").split("\n");
  let base: string | undefined;
  const fixtures: Fixture[] = [];
  const byPath = new Map<string, Fixture>();
  const env: Record<string, string> = {};
  const modes = new Map<string, { uid?: number; mode?: number }>();
  const add = (f: Fixture): string | undefined => {
    if (byPath.has(f.path)) return `${f.path} is placed twice`;
    byPath.set(f.path, f);
    fixtures.push(f);
    return undefined;
  };
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/\u0000/g, "\\\n");
    const where = `line ${i + 1}`;
    if (line.trim() === "" || line.startsWith("#")) continue;
    let m: RegExpExecArray | null;
    if ((m = /^FROM (sekft-(?:harbor|sandbox):[A-Za-z0-9._-]+)$/.exec(line))) {
      if (base !== undefined) return { ok: false, why: `${where}: a second FROM` };
      base = m[1]!;
      continue;
    }
    if (base === undefined)
      return { ok: false, why: `${where}: the first instruction must be FROM sekft-sandbox:TAG or sekft-harbor:TAG (an image sekft builds offline)` };
    if (line === "USER 0:0" || line === `USER ${OP_UID}:${OP_UID}` || line === "WORKDIR /home/op") continue;
    if ((m = /^COPY --chown=(0|1000):\1 files(\/[A-Za-z0-9._+@/-]+) (\/[A-Za-z0-9._+@/-]+)$/.exec(line))) {
      if (m[2] !== m[3]) return { ok: false, why: `${where}: COPY must place files${m[3]} at ${m[3]}` };
      const why = add({ path: m[3]!, type: "file", content: readFile(`${FILES_DIR}${m[3]}`), mode: 0o644, owner: m[1] === "0" ? "root" : "op" });
      if (why) return { ok: false, why: `${where}: ${why}` };
      continue;
    }
    if ((m = /^ENV ([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\[\\"$])*)"$/.exec(line))) {
      env[m[1]!] = m[2]!.replace(/\\([\\"$])/g, "$1");
      continue;
    }
    if (line.startsWith("RUN ")) {
      for (const part of line.slice(4).split(" \\\n && ")) {
        const op = /^(mkdir -p|touch|chown|chmod) (?:(0|1000):\2 |([0-7]{4}) )?(\/[A-Za-z0-9._+@/-]+)$/.exec(part);
        if (!op || (op[1] === "chown") !== (op[2] !== undefined) || (op[1] === "chmod") !== (op[3] !== undefined))
          return { ok: false, why: `${where}: RUN may only create the fixtures and set their owners and modes (${JSON.stringify(part.slice(0, 80))})` };
        const path = op[4]!;
        if (op[1] === "mkdir -p" || op[1] === "touch") {
          const why = add({ path, type: op[1] === "touch" ? "file" : "dir", mode: 0o644, owner: "op" });
          if (why) return { ok: false, why: `${where}: ${why}` };
        } else {
          const entry = modes.get(path) ?? {};
          if (op[1] === "chown") entry.uid = Number(op[2]);
          else entry.mode = Number.parseInt(op[3]!, 8);
          modes.set(path, entry);
        }
      }
      continue;
    }
    return {
      ok: false,
      why: `${where}: ${JSON.stringify(line.slice(0, 80))} is not an instruction sekft can build offline (only FROM its image, COPY of files/, one RUN setting owners and modes, ENV)`,
    };
  }
  if (base === undefined) return { ok: false, why: "no FROM line" };
  for (const f of fixtures) {
    const set = modes.get(f.path);
    if (set?.mode !== undefined) f.mode = set.mode;
    if (set?.uid !== undefined) f.owner = set.uid === 0 ? "root" : "op";
  }
  // The session's own variables come from the sandbox; only the scenario's additions are the bundle's env.
  for (const [k, v] of Object.entries(BASE_ENV)) if (env[k] === v) delete env[k];
  return { ok: true, base, fixtures, env };
}

/** solve.sh read back into the reference's steps: sekft's own markers split them; any other script is one working step. */
export function parseSolve(text: string): Step[] {
  const marker = /^(# sekft-step [0-9a-f]{16})( work)?$/m.exec(text);
  const body = text.replace(/^#![^\n]*\n/, "");
  if (!marker) return [{ cmd: body.trim(), work: true }].filter((st) => st.cmd !== "");
  const token = marker[1]!;
  const steps: Step[] = [];
  let current: { cmd: string[]; work: boolean } | undefined;
  for (const line of text.split("\n")) {
    if (line === token || line === `${token} work`) {
      if (current) steps.push({ cmd: current.cmd.join("\n"), work: current.work });
      current = { cmd: [], work: line.endsWith(" work") };
    } else if (current) current.cmd.push(line);
  }
  if (current) {
    // The file ends with a newline after the last step.
    if (current.cmd.at(-1) === "") current.cmd.pop();
    steps.push({ cmd: current.cmd.join("\n"), work: current.work });
  }
  return steps;
}

/** The terminal command named by metadata, or `exit` when it names none; anything but a terminal is refused. */
export function terminalCommand(raw: unknown): string | { error: string } {
  if (raw === undefined) return "exit";
  if (typeof raw !== "string" || !parseTerminal(raw)) return { error: "metadata.terminal_command is not `exit` or `panic MESSAGE`" };
  return raw;
}
