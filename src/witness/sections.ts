import type mvdan from "mvdan-sh";
import { parseShell, wordValue } from "../proc/shell.ts";

/**
 * What a part of an answer is about; families add, drop and replace sections by it. `step` is the spec's own step;
 * `chain` a step of another command (the attest chain's packing step; each non-build step of a pipeline, so a
 * pipeline has several).
 */
export type SectionId =
  | "intro"
  | "error"
  | "cause"
  | "keys"
  | "project"
  | "reports"
  | "git"
  | "copy"
  | "step"
  | "noncompliant"
  | "chain"
  | "inspect"
  | "keyids"
  | "rego"
  | "policy"
  | "refusal"
  | "verify";

/**
 * One part of an answer: its prose, its script lines (absent: prose only) and what the lines declare. `runs`: the
 * programs beyond POSIX utilities and shell builtins the lines execute (through the PATH), the configured step
 * command's included; the answer's first sentence names their union.
 */
export interface Section {
  id: SectionId;
  /** Its prose; empty: its lines continue the block before it (a script shown whole, as troubleshoot's fix is). */
  text: string;
  lines?: string[];
  runs: string[];
  writes?: string[];
  reads?: string[];
}

/**
 * The POSIX.1-2017 utilities an answer assumes every machine has (so it never names them), and the shell's builtins.
 * `tar`, `make`, `ar`, `gzip`, `zip` and `jq` are not among them: an answer that runs one names it.
 */
export const POSIX_UTILITIES: ReadonlySet<string> = new Set([
  "[",
  "awk",
  "basename",
  "cat",
  "chmod",
  "cmp",
  "cp",
  "cut",
  "date",
  "diff",
  "dirname",
  "echo",
  "env",
  "expr",
  "false",
  "find",
  "grep",
  "head",
  "ln",
  "ls",
  "mkdir",
  "mv",
  "od",
  "printf",
  "pwd",
  "rm",
  "rmdir",
  "sed",
  "sh",
  "sleep",
  "sort",
  "tail",
  "tee",
  "test",
  "touch",
  "tr",
  "true",
  "uname",
  "uniq",
  "wc",
  "xargs",
]);
const BUILTINS: ReadonlySet<string> = new Set([
  ":",
  ".",
  "break",
  "cd",
  "command",
  "continue",
  "eval",
  "exec",
  "exit",
  "export",
  "read",
  "readonly",
  "return",
  "set",
  "shift",
  "trap",
  "umask",
  "unset",
  "wait",
]);

/**
 * Programs that run others through the PATH on their own: `npm` is a `node` script, CMake's default generator runs
 * `make` and finds the C compiler as `cc`, cargo runs `rustc` and links with `cc`, and `cc` (gcc) runs the assembler
 * and the linker, `as` and `ld`, found through the PATH (each in turn: what they run, they run too). (`make` and `sh FILE` are read
 * from the project's own Makefile and script instead; `tar -z` runs `gzip`.)
 */
const RUNS_OTHERS: Record<string, string[]> = { npm: ["node"], cmake: ["make", "cc"], cargo: ["rustc", "cc"], cc: ["as", "ld"] };

/** Programs a witness attestor runs through the PATH (`system-packages` asks dpkg for the installed packages). */
export const ATTESTOR_RUNS: Record<string, string[]> = { "system-packages": ["dpkg-query"] };

/** Files of the step's working directory a command may run (`make` reads `Makefile`, `sh build.sh` reads `build.sh`). */
export type ProjectFiles = Record<string, string>;

/**
 * The programs beyond POSIX utilities and builtins that shell text runs, in order of first use: every simple
 * command's program (subshells, lists, pipelines and `$(…)` included; here-document bodies are data), the body of
 * `sh -c '…'`, the command after `witness run … --` (and what its `-a` attestors run) and after `env`, a project script run as `sh FILE`, a Makefile's
 * recipes for `make` (`$(CC)` is `cc`), and what `RUNS_OTHERS` names. A path (`./hello`, `/bin/sh`) is not looked up.
 */
export function programsOf(text: string, files: ProjectFiles = NO_FILES): string[] {
  // Specs repeat a few commands and setups: each text is parsed once per project (the parser is slow).
  let known = seen.get(files);
  if (!known) seen.set(files, (known = new Map()));
  const hit = known.get(text);
  if (hit) return [...hit];
  const found = readPrograms(text, files);
  known.set(text, found);
  return [...found];
}

const NO_FILES: ProjectFiles = {};
const seen = new WeakMap<ProjectFiles, Map<string, string[]>>();

function readPrograms(text: string, files: ProjectFiles): string[] {
  const out: string[] = [];
  const add = (p: string): void => {
    if (!out.includes(p)) out.push(p);
  };
  const visit = (script: string, depth: number): void => {
    if (depth > 4) return;
    let parsed: ReturnType<typeof parseShell>;
    try {
      parsed = parseShell(script);
    } catch {
      // Text sh would refuse (a configured command may be broken code): its plain first word, the program it
      // means to run, is named (stating one program too many is safe, one too few is not).
      const first = /^\s*([A-Za-z_][\w.+-]*)(?=\s|$)/.exec(script)?.[1];
      if (first) argv([first], depth);
      return;
    }
    parsed.walk((node, type) => {
      if (type !== "CallExpr") return;
      const words = (node as mvdan.CallExpr).Args.map((w) => (w ? wordValue(w) : undefined));
      argv(words, depth);
    });
  };
  const argv = (words: (string | undefined)[], depth: number): void => {
    const [first, ...rest] = words;
    if (first === undefined) return;
    const name = first.slice(first.lastIndexOf("/") + 1);
    if (name === "env") {
      const at = rest.findIndex((w) => w === undefined || (!w.includes("=") && !w.startsWith("-")));
      if (at >= 0) argv(rest.slice(at), depth);
      return;
    }
    if (!first.includes("/") && !POSIX_UTILITIES.has(name) && !BUILTINS.has(name)) add(name);
    for (const p of RUNS_OTHERS[name] ?? []) if (!out.includes(p)) argv([p], depth + 1);
    // GNU tar compresses through the `gzip` program it finds on the PATH.
    if (name === "tar" && rest.some((w) => w === "--gzip" || /^-?[A-Za-y]*z[A-Za-z]*$/.test(w ?? ""))) add("gzip");
    if (name === "sh" && rest[0] === "-c" && rest[1] !== undefined) visit(rest[1], depth + 1);
    else if (name === "sh" && rest[0] !== undefined && files[rest[0]] !== undefined) visit(files[rest[0]]!, depth + 1);
    else if (name === "make" && files.Makefile !== undefined) visit(recipes(files.Makefile), depth + 1);
    else if (name === "witness" && rest[0] === "run") {
      const at = rest.indexOf("--");
      const attestors = rest[rest.indexOf("-a") + 1];
      if (rest.includes("-a") && attestors) for (const a of attestors.split(",")) for (const p of ATTESTOR_RUNS[a] ?? []) add(p);
      if (at >= 0) argv(rest.slice(at + 1), depth);
    }
  };
  visit(text, 0);
  return out;
}

/** A Makefile's recipe lines as shell text, make's own variables expanded as its defaults would (`$(CC)` → `cc`). */
function recipes(makefile: string): string {
  return makefile
    .split("\n")
    .filter((l) => l.startsWith("\t"))
    .map((l) =>
      l
        .slice(1)
        .replace(/\$\(CC\)/g, "cc")
        .replace(/\$\(\w+\)/g, ""),
    )
    .join("\n");
}

/** The union of the sections' `runs`: `witness` first, then in order of first use. */
export function prerequisites(sections: Section[]): string[] {
  const all = [...new Set(sections.flatMap((s) => s.runs))];
  return all.includes("witness") ? ["witness", ...all.filter((p) => p !== "witness")] : all;
}

/** The sentence that opens an answer's script: the programs it needs beyond POSIX utilities, and where it runs. */
export function prerequisiteSentence(programs: string[]): string {
  const named = programs.map((p) => `\`${p}\``);
  const list = named.length <= 1 ? named.join("") : `${named.slice(0, -1).join(", ")} and ${named.at(-1)}`;
  return `You need ${list} ${NEEDS_TAIL}; run it in an empty directory.`;
}

/** What follows the programs in the prerequisite sentence: how `statedPrerequisites` finds it again. */
const NEEDS_TAIL = "(plus POSIX utilities)";
const NEEDS = new RegExp(`You need (.*?) ${NEEDS_TAIL.replace(/[()]/g, "\\$&")}`, "g");

/** Every prerequisite sentence of an answer (there should be one), as the programs it names. */
export function statedPrerequisites(answer: string): string[][] {
  return [...answer.matchAll(NEEDS)].map((m) => [...m[1]!.matchAll(/`([^`]+)`/g)].map((x) => x[1]!));
}

/** The one section with `id`; throws when there is none or more than one (a family's edit must land once). */
export function sectionOf(sections: Section[], id: SectionId): Section {
  const found = sections.filter((s) => s.id === id);
  if (found.length !== 1) throw new Error(`the answer has ${found.length} sections "${id}", not one`);
  return found[0]!;
}

/** The sections with the one section `id` replaced by what `edit` returns of it. */
export function replaceSection(sections: Section[], id: SectionId, edit: (s: Section) => Section): Section[] {
  const target = sectionOf(sections, id);
  return sections.map((s) => (s === target ? edit(s) : s));
}

/** The sections with `added` inserted before (or after) the one section `id`. */
export function insertSection(sections: Section[], where: "before" | "after", id: SectionId, ...added: Section[]): Section[] {
  const at = sections.indexOf(sectionOf(sections, id));
  const i = where === "before" ? at : at + 1;
  return [...sections.slice(0, i), ...added, ...sections.slice(i)];
}

/**
 * One `sh` fence around script lines. The fence is longer than any run of backticks that starts a line of the body
 * (a project file may hold Markdown), so no configured line can end the block early: the fences decide what the script is.
 */
export function sh(lines: string[]): string {
  const body = lines.join("\n");
  const longest = Math.max(0, ...[...body.matchAll(/^[ \t]*(`+)/gm)].map((m) => m[1]!.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}sh\n${body}\n${fence}`;
}

/**
 * The answer's Markdown, rendered last: each section's paragraph, then its `sh` fence. The `intro` section opens
 * with the prerequisite sentence, computed from every section's `runs`.
 */
export function renderSections(sections: Section[]): string {
  const needs = prerequisiteSentence(prerequisites(sections));
  const parts: { text?: string; lines?: string[] }[] = [];
  for (const s of sections) {
    const last = parts.at(-1);
    if (!s.text && s.lines && last?.lines) {
      last.lines = [...last.lines, ...s.lines];
      continue;
    }
    // The prerequisites open the intro's prose, after its heading when it has one.
    const text = s.id === "intro" ? s.text.replace(/^(\*\*[^*]+\*\* )?/, (h) => `${h}${needs} `).trimEnd() : s.text;
    if (text) parts.push({ text });
    if (s.lines) parts.push({ lines: s.lines });
  }
  return `${parts.map((p) => p.text ?? sh(p.lines!)).join("\n\n")}\n`;
}

/** The script lines (0-based, `to` exclusive) one section's `sh` block occupies in the answer's script. */
export interface SectionSpan {
  id: SectionId;
  from: number;
  to: number;
}

/** Where each section with lines lies in the script (its blocks joined in order, as `extractScript` reads them). */
export function sectionSpans(sections: Section[]): SectionSpan[] {
  const out: SectionSpan[] = [];
  let at = 0;
  for (const s of sections) {
    if (!s.lines) continue;
    const n = s.lines.join("\n").split("\n").length;
    out.push({ id: s.id, from: at, to: at + n });
    at += n;
  }
  return out;
}
