import { fencedBlocks } from "../dataset/chat.ts";
import { runProcess } from "../proc/run.ts";
import { parseShell, type ShellLang, ShellSyntaxError, type SimpleCommand } from "../proc/shell.ts";
import { SCRIPT_FENCES } from "./script.ts";

/** A cause a reader can act on, found in the answer text (and the failure it led to). */
export interface Diagnosis {
  code: "missing-file" | "literal-keyid" | "expired-policy" | "expiring-policy" | "unknown-flag";
  message: string;
  /** The script line of the command it concerns, when it concerns one. */
  line?: number;
}

/** The flags each witness subcommand accepts, read from the pinned binary's `--help`. */
export type WitnessFlags = Record<string, Set<string>>;

const SUBCOMMANDS = ["run", "sign", "verify"] as const;

/** Reads `witness <sub> --help` for run, sign and verify: every `-x` and `--long` flag listed (global ones too). */
export async function witnessFlags(witness: string): Promise<WitnessFlags> {
  const out: WitnessFlags = {};
  for (const sub of SUBCOMMANDS) {
    const r = await runProcess([witness, sub, "--help"], { env: { PATH: "/usr/bin:/bin" }, timeoutMs: 10_000 });
    const flags = new Set<string>();
    for (const m of r.stdout.matchAll(/^\s+(?:(-\w), )?(--[\w-]+)/gm)) {
      if (m[1]) flags.add(m[1]);
      flags.add(m[2]!);
    }
    if (flags.size) out[sub] = flags;
  }
  return out;
}

// Flags whose value a command reads as an input file (witness: per subcommand; `run -a` names attestors).
const READS: Record<string, Set<string>> = {
  "witness run": new Set(["-k", "--signer-file-key-path"]),
  "witness sign": new Set(["-k", "--signer-file-key-path", "-f", "--infile"]),
  "witness verify": new Set(["-p", "--policy", "-k", "--publickey", "-f", "--artifactfile", "-a", "--attestations"]),
  openssl: new Set(["-in", "-key", "-inkey"]),
};
// Flags whose value is a file the command creates; commands whose every operand is one.
const CREATE_FLAGS = new Set(["-o", "-out", "--outfile", "-outfile", "-czf", "-cf"]);
const CREATE_ALL = new Set(["tee", "touch"]);
// Redirections that create their target.
const WRITES = new Set([">", ">>", ">|", "&>", "&>>"]);

/** The tool a command runs, as READS names it: `witness <sub>`, `openssl`, or its first word. */
function toolOf(words: (string | undefined)[]): string | undefined {
  return words[0] === "witness" ? `witness ${words[1]}` : words[0];
}

/** Each flag of a command and its value: `-f x` (the next word) or `--flag=x`. */
function flagValues(words: (string | undefined)[]): { flag: string; value: string | undefined }[] {
  const out: { flag: string; value: string | undefined }[] = [];
  words.forEach((w, i) => {
    if (w === undefined || !w.startsWith("-")) return;
    const eq = w.indexOf("=");
    if (w.startsWith("--") && eq > 0) out.push({ flag: w.slice(0, eq), value: w.slice(eq + 1) });
    else out.push({ flag: w, value: words[i + 1] });
  });
  return out;
}

/** Files the script reads through witness or openssl flags (or `<`) that no earlier-or-later command writes, with the reading command and its line. */
function missingFiles(commands: SimpleCommand[]): { file: string; command: string; line: number }[] {
  const created = new Set<string>();
  const reads: { file: string; command: string; line: number }[] = [];
  for (const c of commands) {
    const w = c.words;
    for (const r of c.redirs) {
      if (r.word === undefined) continue;
      if (WRITES.has(r.op)) created.add(r.word);
      if (r.op === "<") reads.push({ file: r.word, command: c.text, line: c.line });
    }
    for (const { flag, value } of flagValues(w)) if (value !== undefined && CREATE_FLAGS.has(flag)) created.add(value);
    if (CREATE_ALL.has(w[0] ?? "")) for (const x of w.slice(1)) if (x !== undefined && !x.startsWith("-")) created.add(x);
    if ((w[0] === "cp" || w[0] === "mv" || w[0] === "ln") && w.length > 2 && w.at(-1) !== undefined) created.add(w.at(-1)!);
    const reading = READS[toolOf(w) ?? ""];
    if (!reading) continue;
    for (const { flag, value } of flagValues(w)) {
      if (value === undefined || value.startsWith("-") || value.includes("$") || !reading.has(flag)) continue;
      // witness -a takes a comma list.
      for (const file of value.split(",")) if (file) reads.push({ file, command: c.text, line: c.line });
    }
  }
  return reads.filter((r) => !created.has(r.file) && !created.has(r.file.replace(/^\.\//, "")));
}

/** Every `witness <sub>` invocation's flags that the pinned witness does not have, with the command's line. */
function unknownFlags(commands: SimpleCommand[], flags: WitnessFlags): { flag: string; sub: string; line: number }[] {
  const out: { flag: string; sub: string; line: number }[] = [];
  for (const c of commands) {
    const [cmd, sub, ...rest] = c.words;
    if (cmd !== "witness" || !SUBCOMMANDS.includes(sub as (typeof SUBCOMMANDS)[number])) continue;
    const known = flags[sub!];
    if (!known) continue;
    for (const word of rest) {
      if (word === "--") break;
      if (word === undefined || !/^--?[A-Za-z]/.test(word)) continue;
      const flag = word.split("=")[0]!;
      if (!known.has(flag) && !out.some((o) => o.flag === flag && o.sub === sub)) out.push({ flag, sub: sub!, line: c.line });
    }
  }
  return out;
}

/** The script's simple commands as `lang` reads them; none when it does not parse (the runner has reported that). */
function commandsOf(script: string, lang: ShellLang): SimpleCommand[] {
  try {
    return parseShell(script, lang).commands();
  } catch (error) {
    if (error instanceof ShellSyntaxError) return [];
    throw error;
  }
}

/**
 * Diagnoses of a failed answer, in the order that explains the failure: the script's own causes by the line of
 * the command they concern (a witness flag the pinned version lacks before a missing file it left unwritten; at
 * one line, the flag first), then what the text holds that cannot match (literal key IDs) or has lapsed (the
 * policy's expiry).
 */
export function diagnose(
  answer: string,
  script: string,
  stderr: string,
  opts: { now: Date; horizonDays: number; flags: WitnessFlags; lang?: ShellLang },
): Diagnosis[] {
  const commands = commandsOf(script, opts.lang ?? "sh");
  const ordered: Diagnosis[] = [];
  const fences = fencedBlocks(answer);
  const shown = fences.filter((f) => !(SCRIPT_FENCES as readonly string[]).includes(f.lang));
  for (const u of unknownFlags(commands, opts.flags)) {
    ordered.push({ code: "unknown-flag", line: u.line, message: `witness ${u.sub} has no flag ${u.flag} in the pinned version (script line ${u.line})` });
  }
  const seen = new Set<string>();
  for (const m of missingFiles(commands)) {
    if (seen.has(m.file) || !stderr.includes(m.file)) continue;
    seen.add(m.file);
    const ext = m.file.split(".").at(-1)!.toLowerCase();
    const asBlock = shown.find((f) => f.lang === ext || (ext === "yml" && f.lang === "yaml") || (ext === "pem" && f.body.includes("-----BEGIN")));
    const where = asBlock ? `; the text shows it only as a \`\`\`${asBlock.lang} block, never written by the script` : "";
    ordered.push({
      code: "missing-file",
      line: m.line,
      message: `${m.file} is used (script line ${m.line}: \`${m.command.slice(0, 120)}\`) but never created${where}`,
    });
  }
  // A stable sort: at one line the unknown flag (pushed first) stays before the missing file it caused.
  const out = ordered.sort((a, b) => a.line! - b.line!);
  const hex = [...new Set([...answer.matchAll(/\b[0-9a-f]{64}\b/g)].map((m) => m[0]))];
  if (hex.length) {
    out.push({
      code: "literal-keyid",
      message: `the text holds ${hex.length} literal 64-hex key ID(s) (${hex[0]!.slice(0, 12)}…); keys the script generates afresh have other IDs, so the policy cannot match them`,
    });
  }
  for (const m of answer.matchAll(/"expires"\s*:\s*"([^"$]+)"/g)) {
    const at = new Date(m[1]!);
    if (Number.isNaN(at.getTime())) continue;
    const horizon = new Date(opts.now.getTime() + opts.horizonDays * 86_400_000);
    if (at <= opts.now) out.push({ code: "expired-policy", message: `the policy expired on ${m[1]}` });
    else if (at < horizon) out.push({ code: "expiring-policy", message: `the policy expires on ${m[1]}, within the ${opts.horizonDays}-day horizon` });
  }
  return out;
}
