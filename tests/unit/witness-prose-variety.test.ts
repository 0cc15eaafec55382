import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { readingOf } from "../../src/witness/error-words.ts";
import { familyShapers, renderExample } from "../../src/witness/families.ts";
import { longSentences, repeatedSentences } from "../../src/witness/lengths.ts";
import { renderQuestion } from "../../src/witness/render.ts";
import { sampleSpecs, type ExampleSpec } from "../../src/witness/spec.ts";
import { CAUSES } from "../../src/witness/troubleshoot.ts";
import { dimsOf, fixtureCatalog } from "../helpers/witness.ts";

const cfg = loadConfig(undefined).witness;

/** The first `n` answers of the default stream, rendered as `gen` would (nothing is run). */
function answers(n: number, seed: number): string[] {
  const catalog = fixtureCatalog();
  const questionOf = (s: ExampleSpec): string => (s.family && s.family !== "attest" ? renderExample(s, cfg, catalog).question : renderQuestion(s, cfg));
  const out: string[] = [];
  for (const { spec } of sampleSpecs(dimsOf(cfg), seed, questionOf, familyShapers(cfg))) {
    out.push(renderExample(spec, cfg, catalog).answer);
    if (out.length >= n) break;
  }
  return out;
}

test("no long sentence is in more than 10% of 600 default answers (the explanations vary)", () => {
  const r = repeatedSentences(answers(600, 3));
  expect(r.answers).toBe(600);
  expect(r.share, r.top.map((t) => `${(t.share * 100).toFixed(1)}% ${t.sentence}`).join("\n")).toBeLessThanOrEqual(0.1);
  expect(r.top[0]!.share).toBeLessThanOrEqual(0.1);
}, 120_000);

test("a leading bold heading is its own unit, not part of the sentence after it", () => {
  const ten = "A witness key ID is the SHA-256 of the PEM public key.";
  // Glued to its heading, the ten-word sentence would count as a long one (and differ per heading).
  expect([...longSentences(`**Key ID.** ${ten} More.`)]).toEqual([]);
  const long = "The policy names each signer by that ID and embeds the PEM in base64 here";
  expect([...longSentences(`**Key IDs.** ${long}. Short.`)]).toEqual([long]);
  expect([...longSentences(`**Key ID.** ${long}.`)]).toEqual([long]);
});

test("every troubleshoot cause's failure class has a reading of the error that quotes its words", () => {
  for (const c of CAUSES) {
    const r = readingOf(c.expect);
    expect(r.words.length).toBeGreaterThan(0);
    const text = r.text("build").toLowerCase();
    expect(
      r.words.some((w) => text.includes(w.toLowerCase())),
      c.name,
    ).toBe(true);
  }
});
