import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { streamJsonl } from "../dataset/jsonl.ts";
import { formatTokenLengths, TOKEN_ENCODING, type TokenLengths } from "../dataset/tokens.ts";
import { InputError } from "../errors.ts";
import { extractScript } from "./script.ts";
import { answerOf, parseChatRecord, questionOf } from "../dataset/chat.ts";
import { dimensionLines } from "../ui/format.ts";
import { sha256 } from "../dataset/hash.ts";
import { type FamilyLengths, formatLengths, LengthTally, wordCount } from "./lengths.ts";
import { HashCount64, HashSet64, U64List } from "./hashes.ts";

export interface DatasetStats {
  file: string;
  examples: number;
  source: "metadata" | "text";
  dimensions: Record<string, Record<string, number>>;
  distinct_answers: number;
  distinct_scripts: number;
  /** Answers with key material, step and artifact names and paths normalised (`answerSkeleton`). */
  distinct_skeletons: number;
  /** Share of examples whose question and answer skeleton each occur once in the file. */
  unique_question_and_skeleton_share: number;
  duplicate_questions: number;
  answer_chars: { min: number; median: number; max: number; mean: number };
  /** Whole lines in tokens, what a trainer's length limit must hold (`stats` adds it: the tokenizer takes seconds to load). */
  tokens?: TokenLengths;
  /**
   * Answer (assistant text) lengths in o200k_base tokens and in words, over `all` and per family (from meta.jsonl,
   * each record matched to its line by answer digest), when a token counter was given (`stats` gives one).
   */
  answer_lengths?: Record<string, FamilyLengths>;
}

/** Replaces key material (hex IDs, PEM blocks, long base64) so answers differing only in it compare equal. */
export function normaliseKeyMaterial(text: string): string {
  return text
    .replace(/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g, "<PEM>")
    .replace(/\b[0-9a-f]{64}\b/g, "<HEX64>")
    .replace(/[A-Za-z0-9+/]{40,}={0,2}/g, "<B64>");
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * An answer's skeleton: its text with key material, names (the steps it runs, the files it verifies, the project
 * it commits) and paths replaced by placeholders. Two answers that differ only in those teach the same thing.
 */
export function answerSkeleton(answer: string): string {
  let t = normaliseKeyMaterial(answer);
  const names = new Set<string>();
  for (const m of t.matchAll(/witness run (?:[^\n]*?\s)?-s ([\w.-]+)/g)) names.add(m[1]!);
  for (const m of t.matchAll(/witness verify [^\n]*?-f (\S+)/g)) names.add(m[1]!.split("/").at(-1)!);
  for (const m of t.matchAll(/git commit [^\n]*?-m "[\w ]*?: ([\w.-]+)/g)) names.add(m[1]!);
  // A step's shell variables spell its name with underscores (`render.ts` `shellVar`).
  for (const n of [...names]) names.add(n.replace(/[^A-Za-z0-9]/g, "_"));
  for (const n of [...names].filter((x) => x.length > 1).sort((a, b) => b.length - a.length)) {
    // Only where a name stands as one: quoted, in a path, a flag's value or a variable (not a word of prose or code).
    const e = escapeRe(n);
    t = t.replace(new RegExp(`(?<=[\`"'/$]|-[sf] )${e}(?=[\`"'.:_/\\s)]|$)|^${e}(?=_\\w*=)`, "gm"), "<name>");
  }
  return t.replace(/(?:\.{0,2}\/)?[\w.<>-]+(?:\/[\w.<>-]+)+\/?/g, "<path>");
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

export type MetaSpec = {
  step: string;
  command: string;
  attestors: string[];
  rules: string[];
  keys: Record<string, string>;
  question: number;
  family?: string;
  cause?: string;
  variant?: string;
};

/** Dimension counts from `meta.jsonl` beside the file (its records of this split), streamed; undefined without one. */
export async function metaDimensions(file: string): Promise<MetaOfSplit | undefined> {
  const metaFile = join(dirname(file), "meta.jsonl");
  if (!existsSync(metaFile)) return undefined;
  const split = basename(file, ".jsonl");
  const dimensions: DatasetStats["dimensions"] = {};
  const families: string[] = [];
  const digests = new U64List();
  let count = 0;
  for await (const { split: s, spec, answerSha } of metaRecords(metaFile)) {
    if (s !== split) continue;
    count += 1;
    tallyMeta(spec, dimensions);
    families.push(spec.family ?? "attest");
    digests.push(hash64(answerSha ?? ""));
  }
  return { count, dimensions, families, digests };
}

/** The meta records of one split: dimension counts, and each record's family and answer digest (hashed) in line order. */
interface MetaOfSplit {
  count: number;
  dimensions: DatasetStats["dimensions"];
  families: string[];
  digests: U64List;
}

const hash64 = (text: string): bigint => BigInt.asUintN(64, BigInt(Bun.hash(text)));

/** A meta record's spec as `stats` and `view` read it: an object with attestors, rules and keys. */
export function isMetaSpec(spec: unknown): spec is MetaSpec {
  const s = spec as Record<string, unknown> | null | undefined;
  return Boolean(s && typeof s === "object" && Array.isArray(s.attestors) && Array.isArray(s.rules) && s.keys && typeof s.keys === "object");
}

/** Every record of a meta.jsonl, checked: a record without a usable spec is an InputError naming the line. */
export async function* metaRecords(
  metaFile: string,
  gcEvery?: number,
): AsyncGenerator<{ split: string | undefined; spec: MetaSpec; answerSha: string | undefined }> {
  for await (const r of streamJsonl<{ split?: string; spec?: unknown; answer_sha256?: unknown }>(metaFile, undefined, gcEvery)) {
    const spec = (r.value as { spec?: unknown } | null)?.spec;
    if (!isMetaSpec(spec)) throw new InputError(`${metaFile}:${r.line}: not a witness meta record: "spec" must be an object with attestors, rules and keys`);
    const sha = r.value.answer_sha256;
    yield { split: r.value.split, spec, answerSha: typeof sha === "string" ? sha : undefined };
  }
}

/** Adds one example's dimension values (from its meta spec) to the counts. */
export function tallyMeta(s: MetaSpec, dimensions: DatasetStats["dimensions"]): void {
  bump(dimensions, "step", s.step);
  bump(dimensions, "command", s.command);
  for (const x of s.attestors) bump(dimensions, "attestor", x);
  for (const x of s.rules) bump(dimensions, "rego", x);
  for (const [role, k] of Object.entries(s.keys)) bump(dimensions, `key_type.${role}`, k);
  bump(dimensions, "family", s.family ?? "attest");
  if (s.cause) bump(dimensions, "troubleshoot_cause", s.cause);
  if (s.variant) bump(dimensions, `${s.family}_variant`, s.variant);
  bump(dimensions, "question_template", s.family && s.family !== "attest" ? `${s.family}:${s.question}` : String(s.question));
  bump(dimensions, "attestor_count", String(s.attestors.length));
}

/** Counts per dimension value, distinct answers, duplicate questions and answer lengths; reads the file as a stream. */
export async function datasetStats(file: string, opts: { countTokens?: (text: string) => number } = {}): Promise<DatasetStats> {
  const textDims: DatasetStats["dimensions"] = {};
  const answers = new HashSet64();
  const scripts = new HashSet64();
  const questions = new HashCount64();
  const skeletons = new HashCount64();
  const pairs = { q: new U64List(), s: new U64List() };
  let lengths = new Uint32Array(1 << 12);
  let n = 0;
  let total = 0;
  const { countTokens } = opts;
  const sized = { tokens: [] as number[], words: [] as number[], digests: new U64List() };
  for await (const r of streamJsonl(file)) {
    const a = answerOf(r.value, file, r.line);
    const q = questionOf(parseChatRecord(r.value, file, r.line));
    const d = dimensionsFromText(a);
    for (const [dim, values] of Object.entries(d)) for (const v of values) bump(textDims, dim, v);
    bump(textDims, "attestor_count", String(d.attestor!.length));
    answers.add(normaliseKeyMaterial(a));
    scripts.add(normaliseKeyMaterial(extractScript(a)));
    pairs.q.push(questions.add(q));
    pairs.s.push(skeletons.add(answerSkeleton(a)));
    if (n === lengths.length) {
      const grown = new Uint32Array(n * 2);
      grown.set(lengths);
      lengths = grown;
    }
    lengths[n++] = a.length;
    total += a.length;
    if (countTokens) {
      sized.tokens.push(countTokens(a));
      sized.words.push(wordCount(a));
      sized.digests.push(hash64(sha256(a)));
    }
  }
  if (!n) throw new InputError(`${file}: empty dataset`);
  const meta = await metaDimensions(file);
  const useMeta = meta?.count === n;
  let answerLengths: Record<string, FamilyLengths> | undefined;
  if (countTokens) {
    // Per family only when every line is its meta record's answer: otherwise the lengths of all lines alone.
    const joined = useMeta && sized.tokens.every((_, i) => meta!.digests.at(i) === sized.digests.at(i));
    const tally = new LengthTally();
    for (let i = 0; i < sized.tokens.length; i++) tally.add(joined ? meta!.families[i] : undefined, sized.tokens[i]!, sized.words[i]!);
    answerLengths = tally.result();
  }
  const sorted = lengths.subarray(0, n).sort();
  let uniquePairs = 0;
  for (let i = 0; i < n; i++) if (questions.count(pairs.q.at(i)) === 1 && skeletons.count(pairs.s.at(i)) === 1) uniquePairs += 1;
  return {
    file,
    examples: n,
    source: useMeta ? "metadata" : "text",
    dimensions: useMeta ? meta!.dimensions : textDims,
    distinct_answers: answers.size,
    distinct_scripts: scripts.size,
    distinct_skeletons: skeletons.size,
    unique_question_and_skeleton_share: Math.round((uniquePairs / n) * 1e4) / 1e4,
    duplicate_questions: n - questions.size,
    answer_chars: { min: sorted[0]!, median: sorted[Math.floor(n / 2)]!, max: sorted[n - 1]!, mean: Math.round(total / n) },
    ...(answerLengths ? { answer_lengths: answerLengths } : {}),
  };
}

/** Renders stats as a readable report. */
export function formatStats(s: DatasetStats): string {
  const out = [
    `${s.file}: ${s.examples} examples (dimensions from ${s.source})`,
    `distinct answers ${s.distinct_answers}, distinct scripts ${s.distinct_scripts}, duplicate questions ${s.duplicate_questions}`,
    `distinct answer skeletons ${s.distinct_skeletons} (1 per ${(s.examples / Math.max(s.distinct_skeletons, 1)).toFixed(2)} examples), ` +
      `question and skeleton both unique ${(s.unique_question_and_skeleton_share * 100).toFixed(1)}%`,
    `answer length chars: min ${s.answer_chars.min}, median ${s.answer_chars.median}, mean ${s.answer_chars.mean}, max ${s.answer_chars.max}`,
    ...(s.tokens ? [formatTokenLengths(s.tokens)] : []),
    ...(s.answer_lengths ? [`answer lengths in ${TOKEN_ENCODING} tokens and words, per family:`, ...formatLengths(s.answer_lengths)] : []),
  ];
  out.push(...dimensionLines(s.dimensions));
  return `${out.join("\n")}\n`;
}
