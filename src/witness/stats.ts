import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { readJsonl } from "../dataset/jsonl.ts";
import { InputError } from "../errors.ts";
import { extractScript } from "./script.ts";
import { sha256 } from "../dataset/hash.ts";
import { answerOf, parseChatRecord, questionOf } from "../dataset/chat.ts";

export interface DatasetStats {
  file: string;
  examples: number;
  source: "metadata" | "text";
  dimensions: Record<string, Record<string, number>>;
  distinct_answers: number;
  distinct_scripts: number;
  duplicate_questions: number;
  answer_chars: { min: number; median: number; max: number; mean: number };
}

/** Replaces key material (hex IDs, PEM blocks, long base64) so answers differing only in it compare equal. */
export function normaliseKeyMaterial(text: string): string {
  return text
    .replace(/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g, "<PEM>")
    .replace(/\b[0-9a-f]{64}\b/g, "<HEX64>")
    .replace(/[A-Za-z0-9+/]{40,}={0,2}/g, "<B64>");
}

type Dims = Record<string, string[]>;

/** Names a key type from `openssl genpkey` arguments. */
function keyTypeOf(args: string): string {
  if (/ed25519/i.test(args)) return "ed25519";
  const curve = /ec_paramgen_curve:P-(\d+)/.exec(args);
  if (curve) return `ecdsa-p${curve[1]}`;
  const bits = /rsa_keygen_bits:(\d+)/.exec(args);
  if (bits) return `rsa-${bits[1]}`;
  return args.trim();
}

/** Reads the dimension values of one answer from its text alone. */
export function dimensionsFromText(answer: string): Dims {
  const script = extractScript(answer);
  const run = script.split("\n").find((l) => /witness run /.test(l)) ?? "";
  const att = /\s-a\s+(\S+)/.exec(run)?.[1];
  const cmd = run.includes(" -- ") ? run.slice(run.indexOf(" -- ") + 4).replace(/\)$/, "") : "";
  const keys = [...script.matchAll(/openssl genpkey (.*?) -out/g)].map((m) => keyTypeOf(m[1]!));
  return {
    step: [/\s-s\s+(\S+)/.exec(run)?.[1] ?? "(none)"],
    command: [cmd ? (cmd.split(" ")[0] === "sh" ? cmd.replace(/^sh -c '/, "").split(" ")[0]! : cmd.split(" ")[0]!) : "(none)"],
    attestor: att ? att.split(",") : [],
    rego: [...script.matchAll(/cat > rego\/([\w.-]+)\.rego/g)].map((m) => m[1]!),
    key_type: keys,
  };
}

function bump(into: Record<string, Record<string, number>>, dim: string, value: string): void {
  into[dim] ??= {};
  into[dim]![value] = (into[dim]![value] ?? 0) + 1;
}

/** Counts per dimension value, distinct answers, duplicate questions and answer lengths. */
export function datasetStats(file: string): DatasetStats {
  const rows = readJsonl(file);
  if (!rows.length) throw new InputError(`${file}: empty dataset`);
  const answers = rows.map((r) => answerOf(r.value, file, r.line));
  const questions = rows.map((r) => questionOf(parseChatRecord(r.value, file, r.line)));
  const metaFile = join(dirname(file), "meta.jsonl");
  const split = basename(file, ".jsonl");
  let metas: { spec: { step: string; command: string; attestors: string[]; rules: string[]; keys: Record<string, string>; question: number } }[] = [];
  if (existsSync(metaFile)) {
    metas = readJsonl<{ split: string; spec: (typeof metas)[number]["spec"] }>(metaFile)
      .map((r) => {
        const spec = (r.value as { spec?: unknown } | null)?.spec as Record<string, unknown> | null | undefined;
        const ok = spec && typeof spec === "object" && Array.isArray(spec.attestors) && Array.isArray(spec.rules) && spec.keys && typeof spec.keys === "object";
        if (!ok) throw new InputError(`${metaFile}:${r.line}: not a witness meta record: "spec" must be an object with attestors, rules and keys`);
        return r.value;
      })
      .filter((m) => m.split === split);
  }
  const useMeta = metas.length === rows.length;
  const dimensions: DatasetStats["dimensions"] = {};
  answers.forEach((a, i) => {
    if (useMeta) {
      const s = metas[i]!.spec;
      bump(dimensions, "step", s.step);
      bump(dimensions, "command", s.command);
      for (const x of s.attestors) bump(dimensions, "attestor", x);
      for (const x of s.rules) bump(dimensions, "rego", x);
      for (const [role, k] of Object.entries(s.keys)) bump(dimensions, `key_type.${role}`, k);
      bump(dimensions, "question_template", String(s.question));
      bump(dimensions, "attestor_count", String(s.attestors.length));
    } else {
      const d = dimensionsFromText(a);
      for (const [dim, values] of Object.entries(d)) for (const v of values) bump(dimensions, dim, v);
      bump(dimensions, "attestor_count", String(d.attestor!.length));
    }
  });
  const lengths = answers.map((a) => a.length).sort((x, y) => x - y);
  const seen = new Map<string, number>();
  for (const q of questions) seen.set(q, (seen.get(q) ?? 0) + 1);
  return {
    file,
    examples: rows.length,
    source: useMeta ? "metadata" : "text",
    dimensions,
    distinct_answers: new Set(answers.map((a) => sha256(normaliseKeyMaterial(a)))).size,
    distinct_scripts: new Set(answers.map((a) => sha256(normaliseKeyMaterial(extractScript(a))))).size,
    duplicate_questions: [...seen.values()].reduce((n, c) => n + (c - 1), 0),
    answer_chars: {
      min: lengths[0]!,
      median: lengths[Math.floor(lengths.length / 2)]!,
      max: lengths.at(-1)!,
      mean: Math.round(lengths.reduce((a, b) => a + b, 0) / lengths.length),
    },
  };
}

/** Renders stats as a readable report. */
export function formatStats(s: DatasetStats): string {
  const out = [
    `${s.file}: ${s.examples} examples (dimensions from ${s.source})`,
    `distinct answers ${s.distinct_answers}, distinct scripts ${s.distinct_scripts}, duplicate questions ${s.duplicate_questions}`,
    `answer length chars: min ${s.answer_chars.min}, median ${s.answer_chars.median}, mean ${s.answer_chars.mean}, max ${s.answer_chars.max}`,
  ];
  for (const [dim, counts] of Object.entries(s.dimensions)) {
    const items = Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}=${v}`);
    out.push(`${dim} (${items.length}): ${items.join(" ")}`);
  }
  return `${out.join("\n")}\n`;
}
