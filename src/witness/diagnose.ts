import { fencedBlocks } from "../dataset/chat.ts";
import { runProcess } from "../proc/run.ts";
import { SCRIPT_FENCES } from "./script.ts";

/** A cause a reader can act on, found in the answer text (and the failure it led to). */
export interface Diagnosis {
  code: "missing-file" | "literal-keyid" | "expired-policy" | "expiring-policy" | "unknown-flag";
  message: string;
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

/** Shell words of one line, quotes removed (good enough for flags and file names). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

// Flags whose value a command reads as an input file (witness: per subcommand; `run -a` names attestors).
const READS: Record<string, Set<string>> = {
  "witness run": new Set(["-k", "--signer-file-key-path"]),
  "witness sign": new Set(["-k", "--signer-file-key-path", "-f", "--infile"]),
  "witness verify": new Set(["-p", "--policy", "-k", "--publickey", "-f", "--artifactfile", "-a", "--attestations"]),
  openssl: new Set(["-in", "-key", "-inkey"]),
};
// Words after which the next word is a file the script creates.
const CREATES = new Set([">", ">>", "-o", "-out", "--outfile", "-outfile", "tee", "touch", "-czf", "-cf"]);

/** Files the script reads through witness or openssl flags (or `<`) that no earlier-or-later command writes. */
function missingFiles(script: string): { file: string; command: string }[] {
  const created = new Set<string>();
  const reads: { file: string; command: string }[] = [];
  for (const raw of script.split("\n")) {
    const line = raw.replace(/(\d?>>?|<)(?=\S)/g, "$1 ");
    const w = words(line);
    w.forEach((word, i) => {
      const next = w[i + 1];
      if (next && CREATES.has(word)) created.add(next);
      if ((word === "cp" || word === "mv" || word === "ln") && w.length > i + 2) created.add(w.at(-1)!);
    });
    const at = w.findIndex((x) => x === "witness" || x === "openssl");
    const tool = at < 0 ? undefined : w[at] === "openssl" ? "openssl" : `witness ${w[at + 1]}`;
    w.forEach((word, i) => {
      const next = w[i + 1];
      if (!next || next.startsWith("-") || next.includes("$")) return;
      if ((tool && READS[tool]?.has(word)) || word === "<") reads.push({ file: next, command: raw.trim() });
    });
  }
  // witness -a takes a comma list.
  const expanded = reads.flatMap((r) => r.file.split(",").map((file) => ({ ...r, file })));
  return expanded.filter((r) => r.file && !created.has(r.file) && !created.has(r.file.replace(/^\.\//, "")));
}

/** Every `witness <sub>` invocation's flags that the pinned witness does not have. */
function unknownFlags(script: string, flags: WitnessFlags): { flag: string; sub: string }[] {
  const out: { flag: string; sub: string }[] = [];
  for (const line of script.split("\n")) {
    const w = words(line);
    const at = w.findIndex((x, i) => x === "witness" && SUBCOMMANDS.includes(w[i + 1] as (typeof SUBCOMMANDS)[number]));
    if (at < 0) continue;
    const sub = w[at + 1]!;
    const known = flags[sub];
    if (!known) continue;
    for (const word of w.slice(at + 2)) {
      if (word === "--" || /^[;&|)]/.test(word)) break;
      if (!/^--?[A-Za-z]/.test(word)) continue;
      const flag = word.split("=")[0]!;
      if (!known.has(flag) && !out.some((o) => o.flag === flag && o.sub === sub)) out.push({ flag, sub });
    }
  }
  return out;
}

/** Diagnoses of a failed answer: what it uses but never makes, what cannot match, what has lapsed, what witness lacks. */
export function diagnose(answer: string, script: string, stderr: string, opts: { now: Date; horizonDays: number; flags: WitnessFlags }): Diagnosis[] {
  const out: Diagnosis[] = [];
  const fences = fencedBlocks(answer);
  const shown = fences.filter((f) => !(SCRIPT_FENCES as readonly string[]).includes(f.lang));
  const seen = new Set<string>();
  for (const m of missingFiles(script)) {
    if (seen.has(m.file) || !stderr.includes(m.file)) continue;
    seen.add(m.file);
    const ext = m.file.split(".").at(-1)!.toLowerCase();
    const asBlock = shown.find((f) => f.lang === ext || (ext === "yml" && f.lang === "yaml") || (ext === "pem" && f.body.includes("-----BEGIN")));
    const where = asBlock ? `; the text shows it only as a \`\`\`${asBlock.lang} block, never written by the script` : "";
    out.push({ code: "missing-file", message: `${m.file} is used (\`${m.command.slice(0, 120)}\`) but never created${where}` });
  }
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
  for (const u of unknownFlags(script, opts.flags)) {
    out.push({ code: "unknown-flag", message: `witness ${u.sub} has no flag ${u.flag} in the pinned version` });
  }
  return out;
}
