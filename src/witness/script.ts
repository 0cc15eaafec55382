import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type sh from "mvdan-sh";
import { fencedBlocks } from "../dataset/chat.ts";
import { plainRunner, type ScriptRunner, VARS_MARK } from "../proc/isolate.ts";
import { exitMeaning, lastLines } from "../proc/run.ts";
import { parseShell, type ShellLang, ShellSyntaxError, simpleCommandProblem } from "../proc/shell.ts";
import { makeOwnedTempDir } from "../proc/temp.ts";
import { POSIX_UTILITIES } from "./sections.ts";

/** The script of an answer: its `sh` fenced blocks, concatenated in order. */
export function extractScript(markdown: string): string {
  const blocks = fencedBlocks(markdown)
    .filter((f) => f.lang === "sh")
    .map((f) => f.body);
  return blocks.length ? `${blocks.join("\n")}\n` : "";
}

/** Fence languages `sekft verify` runs; `console` blocks contribute only their `$ ` lines. */
export const SCRIPT_FENCES = ["sh", "bash", "shell", "console"] as const;

/** The commands of a ```console block: lines starting with `$ `, prompt stripped, with their `\` continuations. */
export function consoleCommands(body: string): string {
  const out: string[] = [];
  let continuing = false;
  for (const line of body.split("\n")) {
    if (continuing) out.push(line);
    else if (line.startsWith("$ ")) out.push(line.slice(2));
    else continue;
    continuing = out.at(-1)!.endsWith("\\");
  }
  return out.join("\n");
}

/**
 * The script of any chat answer: its ```sh, ```bash, ```shell and ```console blocks in order, and the shell
 * to run it under (bash when any block is ```bash). For an answer with only ```sh blocks it equals
 * `extractScript`, byte for byte.
 */
export function extractAnyScript(markdown: string): { script: string; shell: "sh" | "bash" } {
  const fences = fencedBlocks(markdown).filter((f) => (SCRIPT_FENCES as readonly string[]).includes(f.lang));
  const bodies = fences.map((f) => (f.lang === "console" ? consoleCommands(f.body) : f.body)).filter((b, i) => fences[i]!.lang !== "console" || b !== "");
  return { script: bodies.length ? `${bodies.join("\n")}\n` : "", shell: fences.some((f) => f.lang === "bash") ? "bash" : "sh" };
}

/** The last command of a script, ignoring blank lines and comments. */
export function lastCommand(script: string): string {
  const lines = script
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  return lines.at(-1) ?? "";
}

/**
 * The script without its final command, and that command, as the shell reads them: the last statement (a
 * `witness verify \` continued over several lines is one), the text before it the prefix. When a
 * here-document of an earlier statement on the same line ends after it starts, the final command is that whole
 * statement list (so it is no simple witness verify). Throws `ShellSyntaxError` for a script the shell would refuse.
 */
export function splitFinal(script: string, lang: ShellLang = "sh"): { prefix: string; final: string } {
  const parsed = parseShell(script, lang);
  const stmts = parsed.statements;
  const last = stmts.at(-1);
  if (!last) return { prefix: script, final: "" };
  let start = last.Pos().Offset();
  // Here-document bodies of earlier statements that run past the final statement's start belong to the prefix.
  for (const stmt of stmts.slice(0, -1)) {
    let bodyEnd = 0;
    parsed.walk((node, type) => {
      const hdoc = type === "Redirect" ? (node as sh.Redirect).Hdoc : null;
      if (hdoc) bodyEnd = Math.max(bodyEnd, hdoc.End().Offset());
    }, stmt);
    if (bodyEnd > start) start = Math.min(start, stmt.Pos().Offset());
  }
  return { prefix: parsed.source(0, start).trimEnd(), final: parsed.source(start, last.End().Offset()).trim() };
}

// The tools a verdict rests on, and the lookup that finds them: a script may use them, never redefine them.
const TOOLS = new Set(["witness", "openssl", "git", "command"]);

/**
 * Why a script would decide its own verdict (it defines a function or alias named witness, openssl, git or
 * command, assigns or unsets PATH, or changes how commands are found), read from its parsed commands — text in
 * comments and here-document bodies is data, a literal `eval` argument is read as script too. Undefined when it does not.
 */
export function shadowedTool(script: string, lang: ShellLang = "sh"): string | undefined {
  let found: string | undefined;
  const parsed = parseShell(script, lang);
  parsed.walk((node, type) => {
    if (found) return;
    if (type === "FuncDecl") {
      const name = (node as sh.FuncDecl).Name?.Value;
      if (name && TOOLS.has(name)) found = `defines a function named ${name}`;
    } else if (type === "Assign") {
      const a = node as sh.Assign;
      if (a.Name?.Value === "PATH" && !a.Naked) found = "assigns PATH";
    }
  });
  for (const c of parsed.commands()) {
    if (found) break;
    const [cmd, ...args] = c.words;
    if (cmd === "alias") {
      const named = args.map((a) => (a === undefined ? undefined : /^([^=]+)=/.exec(a)?.[1])).find((n) => n && TOOLS.has(n));
      if (named) found = `makes ${named} an alias`;
    } else if (cmd === "unset" && args.includes("PATH")) found = "unsets PATH";
    else if (cmd === "hash" && args.includes("-p")) found = "changes how commands are found (hash -p)";
    else if (cmd === "enable") found = "changes how commands are found (enable)";
    else if (cmd === "eval" && args.length && args.every((a) => a !== undefined)) {
      try {
        found = shadowedTool(args.join(" "), lang);
      } catch {
        // eval of text the shell would refuse runs nothing.
      }
    } else if (["export", "readonly", "local", "declare", "typeset"].includes(cmd ?? "") && args.some((a) => a !== undefined && /^PATH\+?=/.test(a)))
      found = "assigns PATH";
  }
  return found;
}

// Appended to the script: quietly, the variables it ends with, for the verdict run's `witness verify` words.
const POSTLUDE = `{ set +x; } 2>/dev/null\nprintf '%s\\n' '${VARS_MARK}'\nset\n`;

export interface ScriptOutcome {
  ok: boolean;
  /** Short machine-friendly reason when not ok: its kind, then what happened. */
  reason?: string;
  /** The failure's kind when not ok ("timeout", "interrupted", `classify`'s name, a refusal's code): set where it is known, never read back out of `reason`. */
  kind?: string;
  exitCode: number;
  stderrTail: string;
  durationMs: number;
  cpuSeconds: number;
  /** Which of the requested phrases appeared on stderr. */
  found: string[];
  /** With `trace`: the last command the shell started before it stopped. */
  failingCommand?: string;
  /** The last error witness logged (or the last stderr line), when the script failed. */
  message?: string;
  /** Whether `message` is witness's logged error or a line the shell (or another tool) printed. */
  messageFrom?: "witness" | "shell";
  /** With `keepDir`: the run directory (`work/`, `home/`, `script.sh`), left for the caller to remove. */
  dir?: string;
}

export interface ScriptEnv {
  /** PATH for the script: the witness directory first, then the host PATH. */
  path: string;
  /** HOME for the script; absent: a fresh empty directory beside its working directory. */
  home?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  shell?: string;
  /** Phrases to look for on stderr (a Rego rule's deny message). */
  phrases?: string[];
  /** Trace commands (`-x` with a marked PS4) to name the failing one. */
  trace?: boolean;
  /** The witness binary the verdict run execs; default: `witness` in the first PATH entry. */
  witness?: string;
  /** Where the script runs; default: a plain host process. */
  runner?: ScriptRunner;
  /** A run directory (its `work` and `home`) whose contents the script starts from instead of empty ones. */
  startFrom?: string;
  /** Keep the run directory after the run (the caller removes `ScriptOutcome.dir`). */
  keepDir?: boolean;
  /** What makes a pass: `witness-verify` (default) the real witness for a final `witness verify`; `any` the script's exit 0. */
  expect?: "witness-verify" | "any";
  /**
   * PATH holds only these programs and the POSIX utilities: links in the run directory's `bin`, each to the first
   * match on `path` (witness: the one in `path`'s first entry). The runner must map the run directory (the sandbox does).
   */
  only?: readonly string[];
}

/** The run directory's `bin` of links to `names` and the POSIX utilities, found on `path` as the runner sees it. */
export function statedBin(dir: string, names: readonly string[], path: string): string {
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const entries = path.split(":").filter(Boolean);
  for (const name of new Set([...names, ...POSIX_UTILITIES])) {
    // A name is a program name, never a path: the answer's text chose it.
    if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(name)) continue;
    const target = name === "witness" ? join(entries[0] ?? "/", "witness") : entries.map((e) => join(e, name)).find((f) => existsSync(f));
    if (target) symlinkSync(target, join(bin, name));
  }
  return bin;
}

/** The PATH a script sees: the witness directory first. */
export function scriptPath(witness: string, hostPath: string): string {
  return `${dirname(witness)}:${hostPath}`;
}

const PS4 = "+[sekft] ";
// bash repeats PS4's first character per nesting level; dash prints it once.
const TRACE_LINE = /^\++\[sekft\] (.*)$/;

/** Splits a traced stderr into the commands traced and the rest. */
export function splitTrace(stderr: string): { commands: string[]; rest: string } {
  const commands: string[] = [];
  const rest: string[] = [];
  for (const line of stderr.split("\n")) {
    const m = TRACE_LINE.exec(line);
    if (m) commands.push(m[1]!);
    else rest.push(line);
  }
  return { commands, rest: rest.join("\n") };
}

const WITNESS_ERROR = /level=(?:error|fatal) msg="((?:[^"\\]|\\.)*)"/g;

/** Whether stderr holds an error witness logged. */
function witnessLogged(stderr: string): boolean {
  return new RegExp(WITNESS_ERROR.source).test(stderr);
}

/** The last error witness logged (`level=error msg="…"`, unescaped), else the last non-empty stderr line. */
export function lastError(stderr: string): string {
  const errors = [...stderr.matchAll(WITNESS_ERROR)].map((m) => m[1]!.replace(/\\n/g, " ").replace(/\\(.)/g, "$1"));
  return (errors.at(-1) ?? lastLines(stderr, 1)).trim().slice(0, 400);
}

/**
 * Runs a script the way the rules say a reader would: `sh -eu` in an empty directory with only PATH
 * and HOME set. Passes only when it exits 0, its last command is `witness verify`, and the real witness
 * binary, run by the runner itself for that last command (`ScriptExec.final`), exited 0 and said so: no text
 * the script prints and nothing it redefines can stand in for the verdict. With `expect: "any"` the script
 * need not end in `witness verify`: it runs whole, in the same runner, and its exit 0 is the pass. A script the
 * shell would refuse is a `syntax-error` (with its line) before anything runs.
 */
export async function runScript(script: string, env: ScriptEnv): Promise<ScriptOutcome> {
  if (!script.trim()) return fail("no-script", "the answer has no ```sh, ```bash, ```shell or ```console blocks");
  const lang: ShellLang = env.shell === "bash" ? "bash" : "sh";
  let prefix = script;
  let final = "";
  try {
    if (env.expect === "any") parseShell(script, lang);
    else {
      ({ prefix, final } = splitFinal(script, lang));
      if (!/^witness verify\b/.test(final))
        return fail("not-verify-last", `the last command is not witness verify: ${final.replace(/[ \t]*\\\n[ \t]*/g, " ").slice(0, 120)}`);
      const shadow = shadowedTool(script, lang);
      if (shadow) return fail("shadows-tool", `the script ${shadow}: a pass must come from the real witness, found on the PATH sekft gives`);
      const notSimple = simpleCommandProblem(final);
      if (notSimple) return fail("verify-not-simple", `the final witness verify must be one simple command, but ${notSimple}: ${final.slice(0, 120)}`);
    }
  } catch (error) {
    if (!(error instanceof ShellSyntaxError)) throw error;
    return fail("syntax-error", `the script does not parse as ${lang} reads it: ${error.message}`);
  }
  const dir = makeOwnedTempDir("sekft-ex");
  const work = join(dir, "work");
  let kept = false;
  try {
    writeFileSync(join(dir, "script.sh"), env.expect === "any" ? script : `${prefix}\n${POSTLUDE}`);
    mkdirSync(work);
    if (env.home === undefined) mkdirSync(join(dir, "home"));
    if (env.startFrom) {
      const copy = { recursive: true, preserveTimestamps: true, verbatimSymlinks: true } as const;
      cpSync(join(env.startFrom, "work"), work, copy);
      if (env.home === undefined) cpSync(join(env.startFrom, "home"), join(dir, "home"), copy);
    }
    const runner = env.runner ?? plainRunner;
    const r = await runner({
      dir,
      script: join(dir, "script.sh"),
      work,
      argv: [env.shell ?? "sh", env.trace ? "-eux" : "-eu", join(dir, "script.sh")],
      env: {
        PATH: env.only ? statedBin(dir, [...env.only, env.shell ?? "sh"], env.path) : env.path,
        HOME: env.home ?? join(dir, "home"),
        ...(env.trace ? { PS4 } : {}),
      },
      timeoutMs: env.timeoutMs,
      signal: env.signal,
      maxOutput: 256 * 1024,
      ...(env.expect === "any" ? {} : { final: { witness: env.witness ?? join(env.path.split(":")[0]!, "witness"), args: final.slice("witness".length) } }),
    });
    const { commands, rest: stderr } = env.trace ? splitTrace(r.stderr) : { commands: [], rest: r.stderr };
    const tail = lastLines(stderr, 15);
    const found = (env.phrases ?? []).filter((p) => stderr.includes(p));
    kept = Boolean(env.keepDir);
    const base = { exitCode: r.exitCode, stderrTail: tail, durationMs: r.durationMs, cpuSeconds: r.cpuSeconds, found, ...(kept ? { dir } : {}) };
    // A failing verdict run failed at the final command; otherwise the trace names the script's last command.
    const failedAt = r.final && r.final.exitCode !== 0 ? final.replace(/[ \t]*\\\n[ \t]*/g, " ") : commands.at(-1);
    const why = env.trace
      ? { failingCommand: failedAt?.slice(0, 400), message: lastError(stderr), messageFrom: witnessLogged(stderr) ? ("witness" as const) : ("shell" as const) }
      : {};
    if (r.timedOut) return { ...base, ...why, ok: false, kind: "timeout", reason: `timeout: the script ran longer than ${env.timeoutMs / 1000}s` };
    if (r.aborted) return { ...base, ok: false, kind: "interrupted", reason: "interrupted" };
    if (r.exitCode !== 0) {
      const kind = classify(stderr);
      return { ...base, ...why, ok: false, kind, reason: `${kind}: the script exited ${r.exitCode} (${exitMeaning(r.exitCode)})` };
    }
    if (env.expect === "any") return { ...base, ok: true };
    if (!r.final || !/Verification succeeded/.test(r.final.stderr))
      return { ...base, ...why, ok: false, kind: "no-success", reason: "no-success: witness verify did not report success" };
    return { ...base, ok: true };
  } finally {
    if (!kept) rmSync(dir, { recursive: true, force: true });
  }
}

function fail(code: string, message: string): ScriptOutcome {
  return { ok: false, kind: code, reason: `${code}: ${message}`, exitCode: -1, stderrTail: "", durationMs: 0, cpuSeconds: 0, found: [] };
}

/** Names why a witness script failed, from the phrases witness prints (matched loosely). */
export function classify(stderr: string): string {
  const s = stderr;
  if (/unknown (shorthand )?flag/.test(s)) return "unknown-flag";
  if (/Syntax error|syntax error near|unexpected EOF while looking for/.test(s)) return "syntax-error";
  if (/policy expired|Policy expired on/.test(s)) return "expired-policy";
  if (/policy validation failed/.test(s)) return "invalid-policy";
  if (/failed to verify policy signature/.test(s)) return "bad-policy-signature";
  if (/expected key id .* but got/.test(s)) return "keyid-mismatch";
  if (/rego policy evaluation failed|policy was denied due to/.test(s)) return "rego-deny";
  if (/mismatched digests/.test(s)) return "artifact-mismatch";
  if (/failed to load attestation file|invalid character|illegal base64|signature(s)? .*invalid|failed to verify signature/i.test(s)) return "bad-attestation";
  if (/no verifiers present to validate against collection verifiers/.test(s) && /collection rejected/.test(s)) return "untrusted-signer";
  if (/no verifiers matched with allowed functionaries/.test(s)) return "not-a-functionary";
  if (/no passed collections present|no collections found|predicate type\s+is not a collection/.test(s)) return "no-matching-attestation";
  if (/Verification failed|policy verification failed/.test(s)) return "verify-failed";
  if (/attestor .* failed|failed to run attestors|attestors failed/.test(s)) return "witness-run-failed";
  if (/command not found|not found/.test(s)) return "missing-tool";
  return "script-failed";
}
