import { expect, test } from "bun:test";
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { IdSet } from "../../src/dataset/id-set.ts";
import { rootDigest, signDataset, verifyDataset } from "../../src/dataset/sign.ts";

const digest = (s: string): string => createHash("sha256").update(s).digest("hex");

test("the root digest is sha256 over the raw per-file digests in name order (model-signing v1.0)", () => {
  const files = [
    { name: "train.jsonl", algorithm: "sha256" as const, digest: digest("t") },
    { name: "manifest.json", algorithm: "sha256" as const, digest: digest("m") },
  ];
  const expected = createHash("sha256")
    .update(Buffer.concat([Buffer.from(digest("m"), "hex"), Buffer.from(digest("t"), "hex")]))
    .digest("hex");
  expect(rootDigest(files)).toBe(expected);
  expect(rootDigest([...files].reverse())).toBe(expected);
  expect(rootDigest(files.slice(0, 1))).not.toBe(expected);
});

test("IdSet keeps every distinct id once, hex or not, across growth", () => {
  const set = new IdSet();
  for (let i = 0; i < 20_000; i++) expect(set.add(i.toString(16).padStart(16, "0"))).toBe(true);
  for (let i = 0; i < 20_000; i += 997) expect(set.add(i.toString(16).padStart(16, "0"))).toBe(false);
  expect(set.add("0")).toBe(true); // "0" and "0000000000000000" differ
  expect(set.add("bundle-x")).toBe(true);
  expect(set.add("bundle-x")).toBe(false);
  expect(set.size).toBe(20_002);
});

test("verify --trust places every signed name inside the directory before hashing it", () => {
  const base = realpathSync(mkdtempSync(join(tmpdir(), "sekft-sign-unit-")));
  const dir = join(base, "a", "witness");
  mkdirSync(dir, { recursive: true });
  const key = "../../outside.txt";
  // Outside the dataset; signing it is the attacker's doing, the verifier must not read it.
  writeFileSync(resolve(dir, key), "outside\n");
  writeFileSync(join(dir, "train.jsonl"), "");
  const files = { "train.jsonl": digest(""), [key]: digest("outside\n") };
  const manifest = {
    track: "witness",
    generator: "g/1",
    sekft_version: "0.0.0",
    config_sha256: "0".repeat(64),
    seed: 1,
    requested: 0,
    counts: {},
    tools: {},
    files,
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  signDataset(dir, privateKey);
  expect(() => verifyDataset(dir, publicKey)).toThrow(`"${key}" has a .. segment`);
});
