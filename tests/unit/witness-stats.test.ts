import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { renderExample } from "../../src/witness/families.ts";
import { sampleSpecs, type ExampleSpec } from "../../src/witness/spec.ts";
import { answerSkeleton, datasetStats } from "../../src/witness/stats.ts";
import { dimsOf, fixtureCatalog } from "../helpers/witness.ts";

const cfg = loadConfig(undefined).witness;
// Examples whose step name is not also a word of their command or of a mocked CI variable (a `test` step runs
// `cargo test`, the mocked CodeBuild ID holds `build`): there the name cannot be told from the code, and the skeleton keeps it.
const plain = (s: ExampleSpec): boolean =>
  !cfg.commands.find((c) => c.name === s.command)!.run.includes(s.step) && !s.attestors.some((a) => ["gitlab", "jenkins", "aws-codebuild"].includes(a));
const first = (seed: number, also: (s: ExampleSpec) => boolean = () => true): ExampleSpec => {
  for (const { spec: s } of sampleSpecs(dimsOf(cfg), seed)) if (plain(s) && also(s)) return s;
  throw new Error("no such example");
};
// A Go example: its source has `package` lines, a word that is also a step name.
const spec = (): ExampleSpec => first(3, (s) => s.command.startsWith("go-"));
const answer = (s: ExampleSpec): string => renderExample(s, cfg, fixtureCatalog()).answer;

test("an answer's skeleton ignores its step name, keys and paths, not what it does", () => {
  const a = spec();
  const renamed = { ...a, step: a.step === "compile" ? "assemble" : "compile" };
  expect(answer(renamed)).not.toBe(answer(a));
  expect(answerSkeleton(answer(renamed))).toBe(answerSkeleton(answer(a)));
  // Key material never counts: a pasted PEM or digest is masked.
  const pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----";
  expect(answerSkeleton(`${answer(a)}\n${pem}`)).toBe(answerSkeleton(`${answer(a)}\n${pem.replace("MCow", "XYZw")}`));
  // Another key type or another attestor set is another skeleton.
  const other = { ...a, keys: { ...a.keys, policy: a.keys.policy === "ed25519" ? ("ecdsa-p256" as const) : ("ed25519" as const) } };
  expect(answerSkeleton(answer(other))).not.toBe(answerSkeleton(answer(a)));
  // A step name that is also a word of code is replaced only where it stands as a name.
  const text = answer({ ...a, step: "package" });
  const pkg = answerSkeleton(text);
  expect(pkg).toContain("-s <name>");
  expect(pkg).not.toMatch(/[`"/$]package\b/);
  const codeLines = (t: string): number => t.split("\n").filter((l) => /^package \w/.test(l)).length;
  expect(codeLines(text)).toBeGreaterThan(0);
  expect(codeLines(pkg)).toBe(codeLines(text));
});

test("stats counts distinct skeletons and the share of examples whose question and skeleton are both unique", async () => {
  const dir = mkdtempSync(join(tmpdir(), "sekft-stats-"));
  try {
    const a = spec();
    const b = { ...a, step: a.step === "compile" ? "assemble" : "compile" };
    const row = (q: string, s: ExampleSpec): string =>
      JSON.stringify({
        messages: [
          { role: "system", content: cfg.system_prompt },
          { role: "user", content: q },
          { role: "assistant", content: answer(s) },
        ],
      });
    const other = first(11);
    // Rows 1 and 2 share a skeleton; rows 2 and 3 share a question.
    const file = join(dir, "train.jsonl");
    writeFileSync(file, [row("q1", a), row("q2", b), row("q2", other), row("q4", { ...other, step: "verify-me" })].join("\n") + "\n");
    const s = await datasetStats(file);
    expect(s.examples).toBe(4);
    // Rows 3 and 4 share a skeleton too (only the step name differs): no row is unique in both.
    expect(s.distinct_skeletons).toBe(2);
    expect(s.unique_question_and_skeleton_share).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
