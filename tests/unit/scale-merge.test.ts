import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { RunContext } from "../../src/context.ts";
import { sha256 } from "../../src/dataset/hash.ts";
import { SekftError } from "../../src/errors.ts";
import { resolveInside } from "../../src/files.ts";
import { mergeShards } from "../../src/scale/merge.ts";

const ctx = { log: { log: () => undefined } } as unknown as RunContext;
const HEX = "0".repeat(64);
const SECRET = "canary: the contents of a file outside every shard\n";

/**
 * A finished shard of TRACK in DIR/<track>: FILES are written as given (a `{ link }` is a symlink) and listed in
 * the manifest with their digests; EXTRA keys are listed with the digest given, written nowhere by this helper.
 */
function shard(dir: string, track: "shell" | "witness", files: Record<string, string | { link: string }>, extra: Record<string, string> = {}): string {
  const root = join(dir, track);
  mkdirSync(join(root, "bundles"), { recursive: true });
  const digests: Record<string, string> = { ...extra };
  for (const [key, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, key)), { recursive: true });
    if (typeof content === "string") writeFileSync(join(root, key), content);
    else symlinkSync(content.link, join(root, key));
    digests[key] = sha256(readFileSync(join(root, key)));
  }
  const manifest = {
    track,
    generator: "g/1",
    sekft_version: "0.0.0",
    config_sha256: HEX,
    seed: 1,
    requested: 1,
    counts: { kept: 1 },
    tools: {},
    files: digests,
  };
  writeFileSync(join(root, "manifest.json"), JSON.stringify(manifest));
  return dir;
}

/** Runs merge in-process and returns the refusal it must make. */
async function refusal(out: string, shards: string[]): Promise<SekftError> {
  const error = await mergeShards(ctx, { out, shards }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SekftError);
  return error as SekftError;
}

const tmp = (): string => realpathSync(mkdtempSync(join(tmpdir(), "sekft-merge-unit-")));

describe("merge refuses shard paths that leave the shard", () => {
  test("a shell shard's manifest key bundles/../../../../x: exit 2 naming shard and key, nothing written outside OUT or in it", async () => {
    const base = tmp();
    const dir = join(base, "s", "t", "u");
    const key = "bundles/../../../../x";
    // The file the key reaches from the shard, with its true digest: the digest check alone lets it through.
    mkdirSync(join(base, "s"), { recursive: true });
    writeFileSync(resolve(dir, "shell", key), SECRET);
    shard(dir, "shell", { "bundles/a.json": "{}", "rejects.jsonl": "" }, { [key]: sha256(SECRET) });
    const out = join(base, "o", "p", "q");
    const escaped = resolve(out, "shell", key);
    const error = await mergeShards(ctx, { out, shards: [dir] }).catch((e: SekftError) => e);
    expect(existsSync(escaped), `${escaped} written outside OUT`).toBe(false);
    expect(existsSync(out)).toBe(false);
    expect(error).toBeInstanceOf(SekftError);
    expect((error as SekftError).exitCode).toBe(2);
    expect((error as SekftError).message).toContain(`${dir}: manifest key "${key}" has a .. segment`);
  });

  test("an absolute manifest key is refused by name (exit 2), nothing written", async () => {
    const base = tmp();
    const dir = join(base, "s0");
    const canary = join(base, "canary");
    writeFileSync(canary, SECRET);
    const key = canary;
    // Where the old code looked for it (join drops the leading /): present, so the digest check passed.
    mkdirSync(dirname(join(dir, "shell", key)), { recursive: true });
    writeFileSync(join(dir, "shell", key), SECRET);
    shard(dir, "shell", { "bundles/a.json": "{}", "rejects.jsonl": "" }, { [key]: sha256(SECRET) });
    const out = join(base, "out");
    const error = await refusal(out, [dir]);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`${dir}: manifest key "${key}" is absolute`);
    expect(existsSync(out)).toBe(false);
  });

  test("a bundle that is a symlink to a file outside the shard is refused; its content never reaches OUT", async () => {
    const base = tmp();
    const canary = join(base, "canary");
    writeFileSync(canary, SECRET);
    const dir = shard(join(base, "s0"), "shell", { "bundles/a.json": { link: canary }, "rejects.jsonl": "" });
    const out = join(base, "out");
    const error = await refusal(out, [dir]);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`${dir}: manifest key "bundles/a.json" leaves`);
    expect(existsSync(out)).toBe(false);
  });

  test("a bundles/ directory that is a symlink out of the shard is refused", async () => {
    const base = tmp();
    const outside = join(base, "elsewhere");
    mkdirSync(outside);
    writeFileSync(join(outside, "a.json"), SECRET);
    const dir = join(base, "s0");
    mkdirSync(join(dir, "shell"), { recursive: true });
    symlinkSync(outside, join(dir, "shell", "bundles"));
    shard(dir, "shell", { "rejects.jsonl": "" }, { "bundles/a.json": sha256(SECRET) });
    const error = await refusal(join(base, "out"), [dir]);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`"bundles/a.json" leaves`);
    expect(existsSync(join(base, "out"))).toBe(false);
  });

  test("a witness shard whose meta.jsonl (read by name, not listed) links outside is refused before OUT is made", async () => {
    const base = tmp();
    const canary = join(base, "canary");
    writeFileSync(canary, `${JSON.stringify({ id: "x", index: 0, split: "train" })}\n`);
    const dir = shard(join(base, "s0"), "witness", { "train.jsonl": "{}\n", "valid.jsonl": "", "rejects.jsonl": "", "meta.jsonl": { link: canary } }, {});
    // The manifest leaves meta.jsonl out, so no digest check reads it: the merge's own read must be placed.
    const manifest = JSON.parse(readFileSync(join(dir, "witness", "manifest.json"), "utf8"));
    delete manifest.files["meta.jsonl"];
    writeFileSync(join(dir, "witness", "manifest.json"), JSON.stringify(manifest));
    const out = join(base, "out");
    const error = await refusal(out, [dir]);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`${dir}: file "meta.jsonl" leaves`);
    expect(existsSync(out)).toBe(false);
  });

  test("a manifest.json or a track directory that links out of the shard is refused before it is read", async () => {
    const base = tmp();
    const elsewhere = shard(join(base, "elsewhere"), "shell", { "bundles/a.json": "{}", "rejects.jsonl": "" });
    const linkedManifest = join(base, "s0");
    mkdirSync(join(linkedManifest, "shell", "bundles"), { recursive: true });
    writeFileSync(join(linkedManifest, "shell", "bundles", "a.json"), "{}");
    writeFileSync(join(linkedManifest, "shell", "rejects.jsonl"), "");
    symlinkSync(join(elsewhere, "shell", "manifest.json"), join(linkedManifest, "shell", "manifest.json"));
    const first = await refusal(join(base, "out"), [linkedManifest]);
    expect(first.exitCode).toBe(2);
    expect(first.message).toContain(`file "manifest.json" leaves`);
    const linkedTrack = join(base, "s1");
    mkdirSync(linkedTrack);
    symlinkSync(join(elsewhere, "shell"), join(linkedTrack, "shell"));
    const second = await refusal(join(base, "out"), [linkedTrack]);
    expect(second.exitCode).toBe(2);
    expect(second.message).toContain(`${linkedTrack}: track directory "shell" leaves`);
    expect(existsSync(join(base, "out"))).toBe(false);
  });

  test("OUT that is a shard, lies inside one, or holds one is refused (exit 2) and the shard is left as it was", async () => {
    const base = tmp();
    const dir = shard(join(base, "s0"), "shell", { "bundles/a.json": "{}", "rejects.jsonl": "" });
    const before = readFileSync(join(dir, "shell", "manifest.json"), "utf8");
    for (const out of [dir, join(dir, "shell"), join(dir, "merged"), base, `${dir}/../s0/`]) {
      const error = await refusal(out, [dir]);
      expect(error.exitCode, out).toBe(2);
      expect(error.message).toContain(dir);
    }
    symlinkSync(dir, join(base, "link-to-s0"));
    expect((await refusal(join(base, "link-to-s0"), [dir])).exitCode).toBe(2);
    expect(readFileSync(join(dir, "shell", "manifest.json"), "utf8")).toBe(before);
    expect(readdirSync(dir)).toEqual(["shell"]);
  });

  test("a well-formed shell shard still merges", async () => {
    const base = tmp();
    const dir = shard(join(base, "s0"), "shell", { "bundles/a.json": '{"a":1}', "rejects.jsonl": "" });
    const summary = await mergeShards(ctx, { out: join(base, "out"), shards: [dir] });
    expect(summary.kept).toBe(1);
    expect(readFileSync(join(base, "out", "shell", "bundles", "a.json"), "utf8")).toBe('{"a":1}');
  });
});

describe("resolveInside", () => {
  test("refuses empty, NUL, backslash, absolute and .. keys; places a plain key and a not-yet-made one", () => {
    const root = tmp();
    writeFileSync(join(root, "f"), "x");
    for (const [key, why] of [
      ["", "is empty"],
      ["a\0b", "NUL"],
      ["a\\..\\b", "backslash"],
      ["/etc/passwd", "is absolute"],
      ["a/../f", ".. segment"],
      ["..", ".. segment"],
    ] as const) {
      const r = resolveInside(root, key);
      expect(r.ok, key).toBe(false);
      if (!r.ok) expect(r.why).toContain(why);
    }
    expect(resolveInside(root, "f")).toEqual({ ok: true, path: join(root, "f"), exists: true });
    expect(resolveInside(root, "new/dir/g")).toEqual({ ok: true, path: join(root, "new/dir/g"), exists: false });
    symlinkSync("/nonexistent-target", join(root, "dangling"));
    expect(resolveInside(root, "dangling").ok).toBe(false);
  });
});

// Issue 20, item 7: shards made with different configs (a pod that ran without --config) are refused.
test("merge refuses shards whose manifests record different config digests, naming the field", async () => {
  const base = tmp();
  const a = shard(join(base, "a"), "shell", { "bundles/a.json": "{}", "rejects.jsonl": "" });
  const b = shard(join(base, "b"), "shell", { "bundles/b.json": "{}", "rejects.jsonl": "" });
  const file = join(b, "shell", "manifest.json");
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), config_sha256: "1".repeat(64) }));
  const error = await refusal(join(base, "out"), [a, b]);
  expect(error.exitCode).toBe(2);
  expect(error.message).toContain("config_sha256");
});
