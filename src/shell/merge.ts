import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { IdSet } from "../dataset/id-set.ts";
import { writeManifest } from "../dataset/manifest.ts";
import { type ShardSet, shardFile } from "../dataset/shards.ts";
import { AtomicWriter, LineReader } from "../dataset/stream.ts";
import { InputError } from "../errors.ts";
import { resolveInside } from "../files.ts";
import type { MergeOptions, MergeSummary } from "../track-types.ts";

/**
 * Merges shell shards: the shards gated disjoint cells of one plan, so the union of their bundles is the
 * unsharded run's set; a bundle id met twice is kept once. Rejects are concatenated in shard order.
 */
export function mergeShell(set: ShardSet, opts: MergeOptions): MergeSummary {
  const root = join(opts.out, "shell");
  const bundles = join(root, "bundles");
  // Every source and destination is placed first: a refused shard leaves OUT as it was.
  const ids = new IdSet();
  const copies: { from: string; to: string; key: string }[] = [];
  let duplicates = 0;
  for (const s of set.shards) {
    for (const f of Object.keys(s.manifest.files).filter((f) => f.startsWith("bundles/"))) {
      const from = shardFile(s, f, "manifest key");
      const to = resolveInside(root, f);
      if (!/^bundles\/[^/]+$/.test(f) || !to.ok) throw new InputError(`${s.name}: manifest key ${JSON.stringify(f)} is not one file in bundles/: refused`);
      if (!ids.add(f)) {
        duplicates++;
        continue;
      }
      copies.push({ from, to: to.path, key: f });
    }
  }
  const rejectFiles = set.shards.map((s) => shardFile(s, "rejects.jsonl"));
  mkdirSync(bundles, { recursive: true });
  rmSync(join(root, "manifest.json"), { force: true });
  const files: string[] = [];
  for (const { from, to, key } of copies) {
    copyFileSync(from, `${to}.partial`);
    renameSync(`${to}.partial`, to);
    files.push(key);
  }
  // A bundle in OUT that no shard lists is left from an earlier merge: it must not look merged.
  const listed = new Set(files);
  for (const f of readdirSync(bundles)) if (!listed.has(`bundles/${f}`)) rmSync(join(bundles, f), { force: true });
  let rejected = 0;
  {
    using rejects = new AtomicWriter(join(root, "rejects.jsonl"));
    for (const file of rejectFiles) {
      using reader = new LineReader(file);
      for (let line = reader.next(); line !== undefined; line = reader.next()) {
        if (!line.length) continue;
        rejects.writeLine(line);
        rejected++;
      }
    }
    rejects.commit();
  }
  const sum = (key: string): number => set.shards.reduce((n, s) => n + (s.manifest.counts[key] ?? 0), 0);
  const first = set.shards[0]!.manifest;
  writeManifest(root, {
    track: "shell",
    generator: first.generator,
    configSha256: first.config_sha256,
    seed: first.seed,
    requested: set.shards.reduce((n, s) => n + s.manifest.requested, 0),
    counts: { kept: files.length, rejected, exit: sum("exit"), panic: sum("panic"), empty: sum("empty") },
    tools: first.tools,
    files: [...files, "rejects.jsonl"],
    shards: set.refs,
    missingShards: set.missing,
  });
  return { dir: root, kept: files.length, rejected, duplicates, detail: `${files.length} bundles` };
}
