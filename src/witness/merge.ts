import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { IdSet } from "../dataset/id-set.ts";
import { writeManifest } from "../dataset/manifest.ts";
import { type ShardInput, type ShardSet, shardFile } from "../dataset/shards.ts";
import { AtomicWriter, LineReader } from "../dataset/stream.ts";
import { InputError, WorkFailedError } from "../errors.ts";
import type { MergeOptions, MergeSummary } from "../track-types.ts";

const GC_EVERY = 10_000;

interface MetaRow {
  id: string;
  index: number;
  split: "train" | "valid";
}

/** One shard's outputs read in step: its next meta row and the split files its rows point into. */
class ShardCursor implements Disposable {
  readonly meta: LineReader;
  readonly lines: Record<"train" | "valid", LineReader>;
  head: { row: MetaRow; raw: Buffer } | undefined;
  last = -1;
  /** Kept as many as it was asked for: it decided nothing after its last row (else it ran out of stream). */
  readonly full: boolean;
  constructor(readonly shard: ShardInput) {
    this.meta = new LineReader(shardFile(shard, "meta.jsonl"));
    this.lines = { train: new LineReader(shardFile(shard, "train.jsonl")), valid: new LineReader(shardFile(shard, "valid.jsonl")) };
    this.full = (shard.manifest.counts.kept ?? 0) >= shard.manifest.requested;
    this.advance();
  }
  advance(): void {
    const raw = this.meta.next();
    if (raw === undefined || raw.length === 0) {
      this.head = undefined;
      return;
    }
    let row: MetaRow;
    try {
      row = JSON.parse(raw.toString("utf8")) as MetaRow;
    } catch (error) {
      throw new InputError(`${this.shard.name}: meta.jsonl:${this.meta.line}: not valid JSON (${(error as Error).message})`);
    }
    if (
      !Number.isInteger(row.index) ||
      row.index <= this.last ||
      row.index % this.shard.total !== this.shard.index ||
      !["train", "valid"].includes(row.split)
    ) {
      throw new InputError(`${this.shard.name}: meta.jsonl:${this.meta.line}: index ${row.index} / split ${row.split} is not this shard's next example`);
    }
    this.last = row.index;
    this.head = { row, raw };
  }
  /** The split line of the current head. */
  line(): Buffer {
    const split = this.head!.row.split;
    const line = this.lines[split].next();
    if (line === undefined) throw new InputError(`${this.shard.name}: ${split}.jsonl: fewer lines than meta.jsonl assigns to it`);
    return line;
  }
  [Symbol.dispose](): void {
    this.meta[Symbol.dispose]();
    this.lines.train[Symbol.dispose]();
    this.lines.valid[Symbol.dispose]();
  }
}

function indexOf(raw: Buffer, where: string): number {
  try {
    return (JSON.parse(raw.toString("utf8")) as { index: number }).index;
  } catch (error) {
    throw new InputError(`${where}: not valid JSON (${(error as Error).message})`);
  }
}

/**
 * Merges witness shards in stream order: the unsharded run keeps the first `requested` examples of the
 * stream, so the merge takes the first `count` (default: the shards' requested, summed) of the shards'
 * examples ordered by stream index — but only inside the prefix every shard has decided (a shard that kept
 * its quota decided nothing beyond its last example). Train/valid lines are copied byte for byte and routed
 * by each example's content-based split, so the result equals the unsharded run's files.
 */
export function mergeWitness(set: ShardSet, opts: MergeOptions): MergeSummary {
  const dir = join(opts.out, "witness");
  const want = opts.count ?? set.shards.reduce((n, s) => n + s.manifest.requested, 0);
  const partial = set.missing.length > 0;
  // Every shard file is placed (and opened) before OUT is touched: a refused shard leaves OUT as it was.
  const rejectFiles = set.shards.map((s) => shardFile(s, "rejects.jsonl"));
  const cursors: ShardCursor[] = [];
  using _cursors = {
    [Symbol.dispose]: () => {
      for (const c of cursors) c[Symbol.dispose]();
    },
  };
  for (const s of set.shards) cursors.push(new ShardCursor(s));
  mkdirSync(dir, { recursive: true });
  rmSync(join(dir, "manifest.json"), { force: true });
  using train = new AtomicWriter(join(dir, "train.jsonl"));
  using valid = new AtomicWriter(join(dir, "valid.jsonl"));
  using meta = new AtomicWriter(join(dir, "meta.jsonl"));
  const ids = new IdSet();
  const counts = { kept: 0, train: 0, valid: 0, rejected: 0, duplicates: 0 };
  // The first stream index no shard has decided: the prefix below it is complete.
  let frontier = Number.POSITIVE_INFINITY;
  let limiting: ShardInput | undefined;
  let lastKept = -1;
  const settle = (c: ShardCursor): void => {
    if (c.head || !c.full || c.last + set.total >= frontier) return;
    frontier = c.last + set.total;
    limiting = c.shard;
  };
  cursors.forEach(settle);
  let steps = 0;
  while (counts.kept < want) {
    let next: ShardCursor | undefined;
    for (const c of cursors) if (c.head && (!next || c.head.row.index < next.head!.row.index)) next = c;
    if (!next || (!partial && next.head!.row.index >= frontier)) break;
    const { row, raw } = next.head!;
    const line = next.line();
    if (ids.add(row.id)) {
      (row.split === "train" ? train : valid).writeLine(line);
      meta.writeLine(raw);
      counts.kept++;
      counts[row.split]++;
      lastKept = row.index;
    } else counts.duplicates++;
    next.advance();
    settle(next);
    // JavaScriptCore collects lazily: without a periodic full collection the parsed rows' garbage, not the data, sets the RSS.
    if (++steps % GC_EVERY === 0) Bun.gc(true);
  }
  if (counts.kept < want && !partial && cursors.some((c) => c.head)) {
    throw new WorkFailedError(
      `the shards decided the stream only below index ${frontier} (${limiting!.name} kept its ${limiting!.manifest.requested} by then): ${counts.kept} of ${want} examples in stream order`,
      `Rerun ${limiting!.name}'s gen with a larger --count (it resumes), or merge fewer with --count ${counts.kept}.`,
    );
  }
  using rejects = new AtomicWriter(join(dir, "rejects.jsonl"));
  const below = counts.kept < want ? Number.POSITIVE_INFINITY : lastKept;
  mergeRejects(rejectFiles, below, rejects, counts);
  for (const w of [train, valid, meta, rejects]) w.commit();
  const { duplicates, ...kept } = counts;
  writeManifest(dir, {
    track: "witness",
    generator: set.shards[0]!.manifest.generator,
    configSha256: set.shards[0]!.manifest.config_sha256,
    seed: set.shards[0]!.manifest.seed,
    requested: want,
    counts: kept,
    tools: set.shards[0]!.manifest.tools,
    files: ["train.jsonl", "valid.jsonl", "meta.jsonl", "rejects.jsonl"],
    shards: set.refs,
    missingShards: set.missing,
  });
  return { dir, kept: counts.kept, rejected: counts.rejected, duplicates, detail: `train ${counts.train}, valid ${counts.valid}` };
}

/** The rejects the unsharded run would list (those before its last kept example), in stream order. */
function mergeRejects(files: string[], below: number, out: AtomicWriter, counts: { rejected: number }): void {
  const readers = files.map((f) => new LineReader(f));
  try {
    const heads = readers.map((r) => {
      const raw = r.next();
      return raw?.length ? { raw, index: indexOf(raw, `${r.file}:${r.line}`) } : undefined;
    });
    for (;;) {
      let k = -1;
      heads.forEach((h, i) => {
        if (h && (k < 0 || h.index < heads[k]!.index)) k = i;
      });
      if (k < 0 || heads[k]!.index >= below) return;
      out.writeLine(heads[k]!.raw);
      if (++counts.rejected % GC_EVERY === 0) Bun.gc(true);
      const raw = readers[k]!.next();
      heads[k] = raw?.length ? { raw, index: indexOf(raw, `${readers[k]!.file}:${readers[k]!.line}`) } : undefined;
    }
  } finally {
    for (const r of readers) r[Symbol.dispose]();
  }
}
