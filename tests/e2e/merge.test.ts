// needs: witness docker
import { describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { sha256 } from "../../src/dataset/hash.ts";
import { cleanEnv, ROOT, runCli } from "../helpers/cli.ts";
import { dockerPresent, testWith, witnessBin } from "../helpers/deps.ts";

const FAST = join(ROOT, "fixtures/configs/witness-fast.toml");
const DOCKER = dockerPresent();
const env = (): Record<string, string> => cleanEnv({ HOME: process.env.HOME ?? "/root" });
const tmp = (p: string): string => mkdtempSync(join(tmpdir(), `sekft-merge-${p}-`));
const TOTAL = 12; // divisible by 3 and 4: each shard of N keeps TOTAL / N

/** Runs gen for every shard of N (in turn: the machine has two cores) and returns the shard directories. */
async function genShards(base: string[], n: number, root: string): Promise<string[]> {
  const dirs: string[] = [];
  for (let i = 0; i < n; i++) {
    const dir = join(root, `shard-${i}-of-${n}`);
    const r = await runCli([...base, "--count", String(TOTAL / n), "--shard", `${i}/${n}`, "--out", dir], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    dirs.push(dir);
  }
  return dirs;
}

async function merge(out: string, shards: string[], extra: string[] = []): Promise<{ code: number; stderr: string }> {
  return runCli(["merge", out, ...shards, ...extra], { env: env() });
}

describe("merge (real witness)", () => {
  const root = tmp("witness");
  const base = ["gen", "--config", FAST, "--workers", "2", "--seed", "5"];
  const full = join(root, "full");
  const shards: Record<number, string[]> = {};

  testWith(
    Boolean(witnessBin()),
    "merging the N shards of a run gives the unsharded run's train/valid byte for byte (N = 1, 3, 4)",
    async () => {
      const r = await runCli([...base, "--count", String(TOTAL), "--out", full], { env: env() });
      expect(r.code, r.stderr).toBe(0);
      for (const n of [1, 3, 4]) {
        shards[n] = await genShards(base, n, root);
        const out = join(root, `merged-${n}`);
        const m = await merge(out, shards[n]!);
        expect(m.code, m.stderr).toBe(0);
        expect(m.stderr).toContain(`merged ${n} shard(s): kept ${TOTAL}`);
        for (const f of ["train.jsonl", "valid.jsonl"]) {
          // A split with no line has no file, merged and unsharded alike.
          const text = (d: string) => (existsSync(join(d, "witness", f)) ? readFileSync(join(d, "witness", f), "utf8") : "");
          expect(text(out), `N=${n} ${f}`).toBe(text(full));
        }
        const manifest = JSON.parse(readFileSync(join(out, "witness", "manifest.json"), "utf8"));
        const unsharded = JSON.parse(readFileSync(join(full, "witness", "manifest.json"), "utf8"));
        expect(manifest.shards.map((s: { index: number }) => s.index)).toEqual([...Array(n).keys()]);
        expect(manifest.config_sha256).toBe(unsharded.config_sha256);
        expect(manifest.requested).toBe(TOTAL);
        expect(manifest.files["train.jsonl"]).toBe(unsharded.files["train.jsonl"]);
        expect(readdirSync(join(out, "witness")).filter((f) => f.endsWith(".partial"))).toEqual([]);
      }
    },
    900_000,
  );

  testWith(Boolean(witnessBin()), "a missing, doubled, foreign or changed shard is refused with exit 2, naming shard and field", async () => {
    const four = shards[4]!;
    const missing = await merge(join(root, "x1"), four.slice(0, 3));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("shard 3/4 missing");
    const partial = await merge(join(root, "x2"), four.slice(0, 3), ["--allow-partial", "3"]);
    expect(partial.code, partial.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(root, "x2", "witness", "manifest.json"), "utf8")).missing_shards).toEqual([3]);
    const wrongPartial = await merge(join(root, "x3"), four.slice(0, 3), ["--allow-partial", "2"]);
    expect(wrongPartial.code).toBe(2);
    const doubled = await merge(join(root, "x4"), [...four, four[1]!]);
    expect(doubled.code).toBe(2);
    expect(doubled.stderr).toContain(`shard 1/4 is also ${four[1]}`);
    const mixed = await merge(join(root, "x5"), [...four.slice(0, 3), shards[3]![2]!]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain(`${shards[3]![2]}: shard.total is 3, but ${four[0]} has 4`);
    const seeded = join(root, "seed-9");
    const g = await runCli([...base.slice(0, -1), "9", "--count", "1", "--shard", "3/4", "--out", seeded], { env: env() });
    expect(g.code, g.stderr).toBe(0);
    const seed = await merge(join(root, "x6"), [...four.slice(0, 3), seeded]);
    expect(seed.code).toBe(2);
    expect(seed.stderr).toContain(`${seeded}: seed is 9, but ${four[0]} has 5`);
    const train = join(four[2]!, "witness", "train.jsonl");
    writeFileSync(train, readFileSync(train, "utf8").replace("witness", "wItness"));
    const changed = await merge(join(root, "x7"), four);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain(`${four[2]}: files.train.jsonl: sha256 is`);
    expect(existsSync(join(root, "x7", "witness", "manifest.json"))).toBe(false);
  });
});

/** An Ed25519 key pair as PEM files in DIR. */
function keyPair(dir: string, name: string): { key: string; pub: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const key = join(dir, `${name}.pem`);
  const pub = join(dir, `${name}.pub`);
  writeFileSync(key, privateKey.export({ type: "pkcs8", format: "pem" }));
  writeFileSync(pub, publicKey.export({ type: "spki", format: "pem" }));
  return { key, pub };
}

describe("signed manifests (real witness)", () => {
  const root = tmp("signed");
  const a = keyPair(root, "a");
  const b = keyPair(root, "b");
  const base = ["gen", "--config", FAST, "--workers", "2", "--seed", "7", "--count", "1"];
  const s0 = join(root, "s0");
  const s1 = join(root, "s1");

  testWith(
    Boolean(witnessBin()),
    "gen and merge sign; merge --trust and verify --trust refuse a flipped byte, a dropped file, another key, no signature",
    async () => {
      for (const [i, dir] of [s0, s1].entries()) {
        const g = await runCli([...base, "--shard", `${i}/2`, "--out", dir, "--sign-key", a.key], { env: env() });
        expect(g.code, g.stderr).toBe(0);
        expect(g.stderr).toMatch(/signed .* with key ID [0-9a-f]{64}/);
      }
      const statement = JSON.parse(Buffer.from(JSON.parse(readFileSync(join(s0, "witness", "manifest.dsse.json"), "utf8")).payload, "base64").toString());
      expect(statement._type).toBe("https://in-toto.io/Statement/v1");
      expect(statement.subject).toHaveLength(1);
      // One example: the split it did not fall into has no file, and the manifest lists that one as empty.
      const m0 = JSON.parse(readFileSync(join(s0, "witness", "manifest.json"), "utf8"));
      expect([...Object.keys(m0.files), ...(m0.empty ?? [])].sort()).toEqual(["meta.jsonl", "rejects.jsonl", "train.jsonl", "valid.jsonl"]);
      expect(statement.predicate.resources.map((r: { name: string }) => r.name)).toEqual(["manifest.json", ...Object.keys(m0.files)].sort());
      const merged = join(root, "merged");
      const ok = await merge(merged, [s0, s1], ["--trust", a.pub, "--sign-key", a.key]);
      expect(ok.code, ok.stderr).toBe(0);
      const v = await runCli(["verify", merged, "--trust", a.pub, "--workers", "2"], { env: env() });
      expect(v.code, v.stderr).toBe(0);
      const signed = Object.keys(JSON.parse(readFileSync(join(merged, "witness", "manifest.json"), "utf8")).files).length + 1;
      expect(v.stderr).toMatch(new RegExp(`signature by key ID [0-9a-f]{64} holds for ${signed} files`));
      expect(v.stderr).toMatch(/^2 passed, 0 failed$/m);
      const foreignKey = await runCli(["verify", merged, "--trust", b.pub], { env: env() });
      expect(foreignKey.code).toBe(1);
      expect(foreignKey.stderr).toContain("wrong key");

      // A flipped byte.
      const meta = join(s1, "witness", "meta.jsonl");
      const original = readFileSync(meta);
      const flipped = Buffer.from(original);
      flipped[10] = flipped[10]! ^ 1;
      writeFileSync(meta, flipped);
      const tampered = await merge(join(root, "t1"), [s0, s1], ["--trust", a.pub]);
      expect(tampered.code).toBe(2);
      expect(tampered.stderr).toContain(`${s1}: refused by --trust: meta.jsonl: sha256`);
      const vt = await runCli(["verify", join(s1, "witness"), "--trust", a.pub], { env: env() });
      expect(vt.code).toBe(1);
      expect(vt.stderr).toContain("meta.jsonl: sha256");
      writeFileSync(meta, original);

      // A dropped file.
      const rejects = join(s0, "witness", "rejects.jsonl");
      renameSync(rejects, `${rejects}.away`);
      const dropped = await merge(join(root, "t2"), [s0, s1], ["--trust", a.pub]);
      expect(dropped.code).toBe(2);
      expect(dropped.stderr).toContain(`${s0}: refused by --trust: rejects.jsonl: signed but missing`);
      renameSync(`${rejects}.away`, rejects);

      // A shard signed by another key (rerunning gen resumes and signs again).
      const resign = await runCli([...base, "--shard", "1/2", "--out", s1, "--sign-key", b.key], { env: env() });
      expect(resign.code, resign.stderr).toBe(0);
      const foreign = await merge(join(root, "t3"), [s0, s1], ["--trust", a.pub]);
      expect(foreign.code).toBe(2);
      expect(foreign.stderr).toContain(`${s1}: refused by --trust: manifest.dsse.json: wrong key`);

      // No signature at all.
      const unsigned = join(root, "unsigned");
      const u = await runCli([...base, "--shard", "1/2", "--out", unsigned], { env: env() });
      expect(u.code, u.stderr).toBe(0);
      const none = await merge(join(root, "t4"), [s0, unsigned], ["--trust", a.pub]);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain(`${unsigned}: refused by --trust: not signed`);
      for (const t of ["t1", "t2", "t3", "t4"]) expect(existsSync(join(root, t, "witness", "manifest.json")), t).toBe(false);
    },
    600_000,
  );
});

describe("merge (shell bundles, real Docker)", () => {
  const root = tmp("shell");
  const base = ["gen", "--track", "shell", "--workers", "2", "--seed", "3"];
  /** A bundle without its gate record (timings differ run to run) and its image id (each machine builds its own). */
  const bundles = (dir: string): Record<string, unknown> =>
    Object.fromEntries(
      readdirSync(join(dir, "shell", "bundles"))
        .sort()
        .map((f) => {
          const { gate: _gate, image, ...rest } = JSON.parse(readFileSync(join(dir, "shell", "bundles", f), "utf8"));
          return [f, { ...rest, image: { tag: image.tag } }];
        }),
    );

  testWith(
    DOCKER,
    "merging the N shards of a run gives the unsharded run's bundles (N = 1, 3, 4)",
    async () => {
      const full = join(root, "full");
      const r = await runCli([...base, "--count", String(TOTAL), "--out", full], { env: env() });
      expect(r.code, r.stderr).toBe(0);
      const want = bundles(full);
      expect(Object.keys(want)).toHaveLength(TOTAL);
      for (const n of [1, 3, 4]) {
        const out = join(root, `merged-${n}`);
        const m = await merge(out, await genShards(base, n, root));
        expect(m.code, m.stderr).toBe(0);
        expect(bundles(out), `N=${n}`).toEqual(want);
        const manifest = JSON.parse(readFileSync(join(out, "shell", "manifest.json"), "utf8"));
        expect(manifest.track).toBe("shell");
        expect(manifest.counts.kept).toBe(TOTAL);
        expect(Object.keys(manifest.files).filter((f) => f.startsWith("bundles/"))).toHaveLength(TOTAL);
      }
    },
    1_200_000,
  );
});

describe("merge (hostile shards, no Docker)", () => {
  test("a shell shard's key bundles/../../../x is refused with exit 2 naming it, nothing written; OUT = the shard too", async () => {
    const base = tmp("hostile");
    const shard = join(base, "a", "b", "shard-0");
    const key = "bundles/../../../x";
    const secret = "a file next to the shard directories\n";
    mkdirSync(join(shard, "shell", "bundles"), { recursive: true });
    writeFileSync(resolve(shard, "shell", key), secret);
    writeFileSync(join(shard, "shell", "rejects.jsonl"), "");
    const files = { [key]: sha256(secret), "rejects.jsonl": sha256("") };
    const manifest = {
      track: "shell",
      generator: "g/1",
      sekft_version: "0.0.0",
      config_sha256: "0".repeat(64),
      seed: 1,
      requested: 1,
      counts: {},
      tools: {},
      files,
    };
    writeFileSync(join(shard, "shell", "manifest.json"), JSON.stringify(manifest));
    const out = join(base, "c", "d", "out");
    const m = await merge(out, [shard]);
    expect(existsSync(resolve(out, "shell", key)), "written outside OUT").toBe(false);
    expect(m.code, m.stderr).toBe(2);
    expect(m.stderr).toContain(`${shard}: manifest key "${key}" has a .. segment`);
    expect(existsSync(out)).toBe(false);
    const same = await merge(shard, [shard]);
    expect(same.code, same.stderr).toBe(2);
    expect(same.stderr).toContain(`merge OUT ${shard} is the shard directory ${shard}`);
  });
});
