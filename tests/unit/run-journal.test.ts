import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claimRunRecord, identityDifferences, RunJournal, sealEntry } from "../../src/dataset/run-journal.ts";
import { UsageError } from "../../src/errors.ts";

const dir = (): string => mkdtempSync(join(tmpdir(), "sekft-run-journal-"));
const ID = { track: "witness", config_digest: "a".repeat(64), seed: 5, shard: "none" };

test("a new journal starts with the run's identity; the same identity resumes its entries", () => {
  const f = join(dir(), "journal.jsonl");
  {
    using j = new RunJournal<{ id: number }>(f, ID, "D");
    j.append({ id: 1 });
  }
  expect(JSON.parse(readFileSync(f, "utf8").split("\n")[0]!).sekft_run).toEqual(ID);
  using j = new RunJournal<{ id: number }>(f, ID, "D");
  expect(j.records).toEqual([{ id: 1 }]);
  expect(j.broken).toEqual([]);
});

test("another identity is refused (exit 2) naming what differs and --force", () => {
  const f = join(dir(), "journal.jsonl");
  new RunJournal(f, ID, "D")[Symbol.dispose]();
  const open = () => new RunJournal(f, { ...ID, seed: 7, config_digest: "b".repeat(64) }, "D");
  expect(open).toThrow(UsageError);
  expect(open).toThrow(/seed 5 ≠ 7/);
  expect(open).toThrow(/config digest aaaaaaaaaaaa… ≠ bbbbbbbbbbbb…/);
  try {
    open();
  } catch (error) {
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as UsageError).hint).toContain("--force");
  }
});

test("a journal without an identity line (an older sekft's) is refused as identity unknown", () => {
  const f = join(dir(), "journal.jsonl");
  writeFileSync(f, '{"id":1}\n');
  expect(() => new RunJournal(f, ID, "D")).toThrow(/no run identity/);
});

test("an entry whose digest does not hold is not reused and its line is reported", () => {
  const f = join(dir(), "journal.jsonl");
  {
    using j = new RunJournal<{ id: number; answer: string }>(f, ID, "D");
    j.append({ id: 1, answer: "ok" });
    j.append({ id: 2, answer: "ok" });
  }
  writeFileSync(f, readFileSync(f, "utf8").replace('"id":2,"answer":"ok"', '"id":2,"answer":"edited"'));
  using j = new RunJournal<{ id: number; answer: string }>(f, ID, "D");
  expect(j.records).toEqual([{ id: 1, answer: "ok" }]);
  expect(j.broken).toEqual([3]);
});

test("parts: a new one joins, a known one with other settings is refused", () => {
  const f = join(dir(), "journal.jsonl");
  {
    using j = new RunJournal(f, ID, "D");
    j.claimPart("reference", { operator: "reference", samples: 1 });
    j.claimPart("perturb", { operator: "perturb", samples: 1 });
  }
  using j = new RunJournal(f, ID, "D");
  j.claimPart("perturb", { operator: "perturb", samples: 1 });
  expect(() => j.claimPart("perturb", { operator: "perturb", samples: 2 })).toThrow(/samples 1 ≠ 2/);
  expect(j.records).toEqual([]);
});

test("a run record: written when the directory is new, refused when another run or unknown work is there", () => {
  const d = dir();
  const f = join(d, "run.json");
  expect(() => claimRunRecord(f, ID, d, true)).toThrow(/no run record/);
  claimRunRecord(f, ID, d, false);
  claimRunRecord(f, ID, d, true);
  expect(() => claimRunRecord(f, { ...ID, shard: "0/2" }, d, true)).toThrow(/shard none ≠ 0\/2/);
  writeFileSync(f, JSON.stringify({ ...sealEntry({ sekft_run: ID }), sekft_run: { ...ID, seed: 9 } }));
  expect(() => claimRunRecord(f, { ...ID, seed: 9 }, d, true)).toThrow(/edited/);
});

test("identity differences name each field once", () => {
  expect(identityDifferences(ID, ID)).toEqual([]);
  expect(identityDifferences({ a: 1 }, { b: "x" })).toEqual(["a 1 ≠ (none)", "b (none) ≠ x"]);
});
