import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256 } from "../../src/dataset/hash.ts";
import { readQuestions, splitOfFile } from "../../src/eval/questions.ts";

const line = (messages: unknown[]) => `${JSON.stringify({ messages })}\n`;

test("questions: the messages before the answer; family and attestors from meta.jsonl by the answer's digest, else unknown", async () => {
  const dir = mkdtempSync(join(tmpdir(), "sekft-eval-q-"));
  const sys = { role: "system", content: "be brief" };
  writeFileSync(
    join(dir, "valid.jsonl"),
    line([sys, { role: "user", content: "q1" }, { role: "assistant", content: "a1" }]) +
      line([sys, { role: "user", content: "q2" }, { role: "assistant", content: "a2" }]) +
      line([{ role: "user", content: "q3 without an answer" }]) +
      line([sys, { role: "assistant", content: "no question" }]),
  );
  writeFileSync(
    join(dir, "meta.jsonl"),
    `${JSON.stringify({ id: "x1", split: "valid", family: "policy", answer_sha256: sha256("a1"), spec: { attestors: ["git", "sbom-cyclonedx"] } })}\n`,
  );
  const qs = await readQuestions(join(dir, "valid.jsonl"));
  expect(qs.map((q) => q.line)).toEqual([1, 2, 3]);
  expect(qs[0]).toMatchObject({ id: "x1", family: "policy", attestors: ["git", "sbom-cyclonedx"], prompt: [sys, { role: "user", content: "q1" }] });
  expect(qs[1]).toMatchObject({ family: "unknown", attestors: ["unknown"] });
  expect(qs[1]!.id).toBeUndefined();
  expect(qs[2]).toMatchObject({ family: "unknown", prompt: [{ role: "user", content: "q3 without an answer" }] });
  expect(qs[2]!.answer_sha256).toBeUndefined();
});

test("only a file named train.jsonl is the train split; anything else is held out", () => {
  expect(splitOfFile("/d/witness/train.jsonl")).toBe("train");
  expect(splitOfFile("/d/witness/valid.jsonl")).toBe("valid");
  expect(splitOfFile("/d/other.jsonl")).toBe("valid");
});
