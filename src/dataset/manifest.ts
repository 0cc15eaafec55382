import { existsSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { InputError } from "../errors.ts";
import { VERSION } from "../version.ts";
import { canonical, sha256 } from "./hash.ts";
import { writeFileAtomic } from "./jsonl.ts";
import { sha256File } from "./stream.ts";
import { READ_LIMITS, readBoundedText, resolveInside } from "../files.ts";

/** `manifest.json`: what made a dataset directory and the sha256 of every file in it. Written last. */
export const ManifestSchema = z.looseObject({
  track: z.string().min(1),
  generator: z.string().min(1),
  sekft_version: z.string(),
  config_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  seed: z.number().int(),
  requested: z.number().int(),
  shard: z.strictObject({ index: z.number().int().min(0), total: z.number().int().min(1) }).optional(),
  counts: z.record(z.string(), z.number()),
  tools: z.record(z.string(), z.string()),
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
  partial: z.strictObject({ reason: z.enum(["max-time", "interrupted"]), max_time: z.string().optional() }).optional(),
  empty: z.array(z.string()).optional(),
  split: z.looseObject({ valid_share: z.number().min(0).max(1) }).optional(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** A set written by a run that stopped early (`--max-time`, a signal): complete in itself, smaller than asked; a rerun completes it. */
export interface PartialSet {
  reason: "max-time" | "interrupted";
  /** The `--max-time` given, when it stopped the run. */
  max_time?: string;
}

/** One shard a merged dataset was made from: its index and the digest of its manifest. */
export interface ShardRef {
  index: number;
  total: number;
  dir: string;
  manifest_sha256: string;
}

export interface ManifestInput {
  track: string;
  generator: string;
  /** The config the data was made with; a merge, which has only its shards' digest, passes `configSha256`. */
  config?: unknown;
  configSha256?: string;
  seed: number;
  requested: number;
  shard?: { index: number; total: number };
  counts: Record<string, number>;
  tools: Record<string, string>;
  /** Paths relative to the directory; each is hashed as written. */
  files: string[];
  /** A merged dataset: the shards it was made from, and the indexes it was allowed to lack. */
  shards?: ShardRef[];
  missingShards?: number[];
  /** Set when the run stopped early: the manifest says the set is partial and why. */
  partial?: PartialSet;
  /** Split files left unwritten because no line fell into them (a trainer's loader refuses an empty file). */
  empty?: string[];
  /** How train and valid were split (`dataset/split.ts` `splitAll`), for a merge to split its union the same way. */
  split?: { valid_share: number };
}

/**
 * The digest of what decides a dataset's content: the config without where and how fast it ran
 * (`run.out`, `run.workers`, `[k8s]`), without the seed and the tracks' `count` (the manifest's `seed` and
 * `requested` hold them), so the
 * shards of one run, written to different directories with a per-shard count, share it with the unsharded run.
 */
export function configDigest(config: unknown): string {
  const c = structuredClone(config) as Record<string, Record<string, unknown> | undefined>;
  if (c && typeof c === "object") {
    if (c.run) c.run = { ...c.run, out: undefined, workers: undefined, seed: undefined };
    c.k8s = undefined;
    for (const table of Object.values(c)) if (table && typeof table === "object" && "count" in table) table.count = undefined;
  }
  return sha256(canonical(c));
}

/** Hashes every listed file and writes `DIR/manifest.json` atomically; call it after every other file is in place. */
export function writeManifest(dir: string, input: ManifestInput): Manifest {
  const files: Record<string, string> = {};
  for (const f of [...input.files].sort()) files[f] = sha256File(join(dir, f));
  const manifest: Manifest = {
    track: input.track,
    generator: input.generator,
    sekft_version: VERSION,
    config_sha256: input.configSha256 ?? configDigest(input.config),
    seed: input.seed,
    requested: input.requested,
    ...(input.shard && input.shard.total > 1 ? { shard: input.shard } : {}),
    counts: input.counts,
    tools: input.tools,
    files,
    ...(input.shards ? { shards: input.shards } : {}),
    ...(input.missingShards?.length ? { missing_shards: input.missingShards } : {}),
    ...(input.partial ? { partial: input.partial } : {}),
    ...(input.empty?.length ? { empty: [...input.empty].sort() } : {}),
    ...(input.split ? { split: input.split } : {}),
  };
  writeFileAtomic(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Reads `DIR/manifest.json` when there is one; a present but invalid manifest is an InputError naming the field. */
export function readManifest(dir: string): Manifest | undefined {
  const file = join(dir, "manifest.json");
  if (!existsSync(file)) return undefined;
  const text = readBoundedText(file, READ_LIMITS.manifest, "manifest");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(`${file}: not a sekft manifest: ${issue.path.join(".") || "(top)"}: ${issue.message}`);
  }
  return parsed.data;
}

/** A file that no longer is what the manifest recorded: its digest differs, it is missing, or its key is refused. */
export interface FileDrift {
  file: string;
  expected: string;
  /** The file's sha256 now; absent when it cannot be hashed (`why` says why). */
  actual?: string;
  why?: string;
}

/**
 * Compares the files DIR's manifest lists (or only `only`, a name relative to DIR) with the sha256 each was
 * written with. Keys are untrusted: each is placed inside DIR before it is read. No manifest: nothing to compare.
 */
export function manifestDrift(dir: string, only?: string): FileDrift[] {
  const manifest = readManifest(dir);
  if (!manifest) return [];
  const out: FileDrift[] = [];
  for (const [file, expected] of Object.entries(manifest.files)) {
    if (only !== undefined && file !== only) continue;
    const found = resolveInside(dir, file);
    if (!found.ok) out.push({ file, expected, why: `${found.why}: refused` });
    else if (!found.exists) out.push({ file, expected, why: "missing" });
    else {
      const actual = sha256File(found.path);
      if (actual !== expected) out.push({ file, expected, actual });
    }
  }
  return out;
}
