import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { InputError, UsageError } from "../errors.ts";
import { isWithin, READ_LIMITS, readBoundedFile, resolveInside } from "../files.ts";
import { sha256 } from "./hash.ts";
import { type Manifest, readManifest, type ShardRef } from "./manifest.ts";
import { sha256File } from "./stream.ts";

/** One shard's finished output, checked: its dataset directory, manifest and place in the run. */
export interface ShardInput {
  /** The directory as the user named it (for messages). */
  name: string;
  /** The dataset directory holding manifest.json (the named one, or its single track subdirectory). */
  dir: string;
  manifest: Manifest;
  index: number;
  total: number;
}

/** The checked shards of one run, ordered by index. */
export interface ShardSet {
  track: string;
  total: number;
  shards: ShardInput[];
  missing: number[];
  refs: ShardRef[];
}

/** Checks a shard directory's own signature before anything else is read (given by the caller, e.g. `--trust`). */
export type ShardGuard = (dir: string, name: string) => void;

const FOREIGN_HINT = "A shard names only files inside its own directory; this one was changed after gen wrote it, or not made by sekft.";

/**
 * The real path of KEY (a manifest key, a bundle name, a file a track reads) inside the shard's dataset
 * directory. Refused before anything is read or copied — an InputError (exit 2) naming the shard and the key —
 * when KEY is empty, absolute, has a `..` segment, a NUL or a backslash, or leads out through a symlink.
 */
export function shardFile(shard: Pick<ShardInput, "name" | "dir">, key: string, what = "file"): string {
  const found = resolveInside(shard.dir, key);
  if (!found.ok) throw new InputError(`${shard.name}: ${what} ${JSON.stringify(key)} ${found.why}: refused`, FOREIGN_HINT);
  return found.path;
}

/** Refuses an OUT that is a shard directory, lies inside one, or holds one (by real path): the merge would write into its own input. */
export function checkOutApart(out: string, names: readonly string[]): void {
  for (const name of names) {
    if (isWithin(out, name))
      throw new UsageError(`merge OUT ${out} is the shard directory ${name} or inside it`, "Give merge an OUT outside every shard directory.");
    if (isWithin(name, out))
      throw new UsageError(`the shard directory ${name} lies inside merge OUT ${out}`, "Give merge an OUT outside every shard directory.");
  }
}

/** The dataset directory of a shard: DIR itself when it holds a manifest, else its one track subdirectory that does. */
export function datasetDir(name: string, tracks: readonly string[]): string {
  if (!existsSync(name) || !statSync(name).isDirectory()) throw new InputError(`${name}: no such directory`);
  if (existsSync(join(name, "manifest.json"))) return name;
  const found = tracks.filter((t) => existsSync(join(name, t, "manifest.json")));
  if (found.length === 1) {
    shardFile({ name, dir: name }, found[0]!, "track directory");
    return join(name, found[0]!);
  }
  if (found.length > 1) throw new UsageError(`${name}: holds datasets of ${found.join(" and ")}; name one of its subdirectories`);
  const partial = tracks.some((t) => existsSync(join(name, t))) || readdirSync(name).length > 0;
  throw new InputError(
    `${name}: no manifest.json`,
    partial ? "Its gen has not finished (the manifest is written last); run it to the end, or leave it out with --allow-partial." : undefined,
  );
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Checks every shard before anything is merged: same track, generator, config digest, seed and tools; each
 * index of `I/N` exactly once (the absent ones only when `allowMissing` names exactly them); every file's
 * sha256 as its manifest lists it. A mismatch is an InputError (exit 2) naming the shard and the field.
 */
export function checkShards(names: string[], tracks: readonly string[], opts: { allowMissing?: number[]; guard?: ShardGuard }): ShardSet {
  if (names.length === 0) throw new UsageError("merge needs at least one shard directory");
  const shards: ShardInput[] = names.map((name) => {
    const dir = datasetDir(name, tracks);
    shardFile({ name, dir }, "manifest.json");
    opts.guard?.(dir, name);
    const manifest = readManifest(dir)!;
    const shard = manifest.shard ?? { index: 0, total: 1 };
    return { name, dir, manifest, index: shard.index, total: shard.total };
  });
  const first = shards[0]!;
  for (const s of shards.slice(1)) {
    const fields: [string, unknown, unknown][] = [
      ["track", s.manifest.track, first.manifest.track],
      ["generator", s.manifest.generator, first.manifest.generator],
      ["config_sha256", s.manifest.config_sha256, first.manifest.config_sha256],
      ["seed", s.manifest.seed, first.manifest.seed],
      ["shard.total", s.total, first.total],
      ...Object.keys({ ...first.manifest.tools, ...s.manifest.tools }).map((k): [string, unknown, unknown] => [
        `tools.${k}`,
        s.manifest.tools[k],
        first.manifest.tools[k],
      ]),
    ];
    for (const [field, mine, theirs] of fields) {
      if (!same(mine, theirs)) {
        throw new InputError(
          `${s.name}: ${field} is ${JSON.stringify(mine)}, but ${first.name} has ${JSON.stringify(theirs)}`,
          "Every shard must come from the same command with the same config, seed and tools, differing only in --shard and --out.",
        );
      }
    }
  }
  const byIndex = new Map<number, ShardInput>();
  for (const s of shards) {
    const other = byIndex.get(s.index);
    if (other) throw new InputError(`${s.name}: shard ${s.index}/${s.total} is also ${other.name}`, "Each shard index is merged exactly once.");
    byIndex.set(s.index, s);
  }
  const total = first.total;
  const missing = Array.from({ length: total }, (_, i) => i).filter((i) => !byIndex.has(i));
  const allowed = [...(opts.allowMissing ?? [])].sort((a, b) => a - b);
  if (!same(missing, allowed)) {
    const named = allowed.length ? ` (--allow-partial names ${allowed.join(",")})` : "";
    throw new InputError(
      missing.length
        ? `shard ${missing.map((i) => `${i}/${total}`).join(", ")} missing${named}`
        : `no shard is missing, but --allow-partial names ${allowed.join(",")}`,
      missing.length ? `Pass every shard directory, or --allow-partial ${missing.join(",")} to merge without them.` : undefined,
    );
  }
  // Every key is placed inside its shard before any listed file is read.
  const paths = shards.map((s) => new Map(Object.keys(s.manifest.files).map((file) => [file, shardFile(s, file, "manifest key")])));
  for (const [i, s] of shards.entries()) {
    for (const [file, digest] of Object.entries(s.manifest.files)) {
      const path = paths[i]!.get(file)!;
      if (!existsSync(path)) throw new InputError(`${s.name}: files.${file}: listed in the manifest but missing`);
      const actual = sha256File(path);
      if (actual !== digest) throw new InputError(`${s.name}: files.${file}: sha256 is ${actual}, the manifest says ${digest} (changed after it was written)`);
    }
  }
  shards.sort((a, b) => a.index - b.index);
  const refs = shards.map((s) => ({
    index: s.index,
    total: s.total,
    dir: s.name,
    manifest_sha256: sha256(readBoundedFile(join(s.dir, "manifest.json"), READ_LIMITS.manifest, "manifest")),
  }));
  return { track: first.manifest.track, total, shards, missing, refs };
}
