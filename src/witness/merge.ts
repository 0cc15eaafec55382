import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { IdSet } from "../dataset/id-set.ts";
import { writeManifest } from "../dataset/manifest.ts";
import { splitAll } from "../dataset/split.ts";
import { type ShardInput, type ShardSet, shardFile } from "../dataset/shards.ts";
import { AtomicWriter, LineReader } from "../dataset/stream.ts";
import { InputError, WorkFailedError } from "../errors.ts";
import type { MergeOptions, MergeSummary } from "../track-types.ts";

const GC_EVERY = 10_000;

interface MetaRow {
  id: string;
  index: number;
  split: "train" | "valid";
  script_sha256?: string;
}

/** One shard's outputs read in step: its next meta row and the split files its rows point into. */
class ShardCursor implements Disposable {
  readonly meta: LineReader;
  /** Absent: the shard wrote no such file (its manifest lists it as empty). */
  readonly lines: Record<"train" | "valid", LineReader | undefined>;
  head: { row: MetaRow; raw: Buffer } | undefined;
  last = -1;
  /** Kept as many as it was asked for: it decided nothing after its last row (else it ran out of stream). */
  readonly full: boolean;
  constructor(readonly shard: ShardInput) {
    this.meta = new LineReader(shardFile(shard, "meta.jsonl"));
    const empty = new Set(shard.manifest.empty ?? []);
    const open = (name: string) => (empty.has(name) ? undefined : new LineReader(shardFile(shard, name)));
    this.lines = { train: open("train.jsonl"), valid: open("valid.jsonl") };
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
    const line = this.lines[split]?.next();
    if (line === undefined) throw new InputError(`${this.shard.name}: ${split}.jsonl: fewer lines than meta.jsonl assigns to it`);
    return line;
  }
  [Symbol.dispose](): void {
    this.meta[Symbol.dispose]();
    this.lines.train?.[Symbol.dispose]();
    this.lines.valid?.[Symbol.dispose]();
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
  for (const s of set.shards) new ShardCursor(s)[Symbol.dispose]();
  // The first walk only reads which examples the merge takes; the split of their union is `splitAll`'s, as the
  // unsharded run computed it over the same examples (a shard's own guaranteed valid lines may move back).
  const share = set.shards[0]!.manifest.split?.valid_share;
  let splits: ("train" | "valid")[] | undefined;
  if (share !== undefined) {
    const keys: string[] = [];
    walk(set, want, partial, (row) => {
      if (!row.script_sha256) throw new InputError(`meta.jsonl: example ${row.id} has no script_sha256 to split by`);
      keys.push(row.script_sha256);
    });
    splits = splitAll(keys, share);
  }
  mkdirSync(dir, { recursive: true });
  rmSync(join(dir, "manifest.json"), { force: true });
  using train = new AtomicWriter(join(dir, "train.jsonl"));
  using valid = new AtomicWriter(join(dir, "valid.jsonl"));
  using meta = new AtomicWriter(join(dir, "meta.jsonl"));
  const counts = { kept: 0, train: 0, valid: 0, rejected: 0, duplicates: 0 };
  const walked = walk(set, want, partial, (row, raw, line) => {
    const split = splits?.[counts.kept] ?? row.split;
    (split === "train" ? train : valid).writeLine(line);
    meta.writeLine(split === row.split ? raw : Buffer.from(JSON.stringify({ ...(JSON.parse(raw.toString("utf8")) as object), split })));
    counts.kept++;
    counts[split]++;
  });
  counts.duplicates = walked.duplicates;
  using rejects = new AtomicWriter(join(dir, "rejects.jsonl"));
  const below = counts.kept < want ? Number.POSITIVE_INFINITY : walked.lastKept;
  mergeRejects(rejectFiles, below, rejects, counts);
  for (const w of [meta, rejects]) w.commit();
  const empty: string[] = [];
  for (const [name, w, n] of [
    ["train.jsonl", train, counts.train],
    ["valid.jsonl", valid, counts.valid],
  ] as const) {
    if (n > 0) w.commit();
    else {
      // not committed: disposal removes its .partial
      rmSync(join(dir, name), { force: true });
      empty.push(name);
    }
  }
  const { duplicates, ...kept } = counts;
  writeManifest(dir, {
    track: "witness",
    generator: set.shards[0]!.manifest.generator,
    configSha256: set.shards[0]!.manifest.config_sha256,
    seed: set.shards[0]!.manifest.seed,
    requested: want,
    counts: kept,
    tools: set.shards[0]!.manifest.tools,
    files: ["train.jsonl", "valid.jsonl", "meta.jsonl", "rejects.jsonl"].filter((f) => !empty.includes(f)),
    shards: set.refs,
    missingShards: set.missing,
    empty,
    ...(share !== undefined ? { split: { valid_share: share } } : {}),
  });
  return { dir, kept: counts.kept, rejected: counts.rejected, duplicates, detail: `train ${counts.train}, valid ${counts.valid}` };
}

/**
 * The k-way walk over the shards in stream order, inside the prefix every shard has decided: calls `take` for each
 * example the merge keeps (a repeated id is a duplicate, not taken). Throws when the shards decided too little.
 */
function walk(
  set: ShardSet,
  want: number,
  partial: boolean,
  take: (row: MetaRow, raw: Buffer, line: Buffer) => void,
): { lastKept: number; duplicates: number } {
  const cursors: ShardCursor[] = [];
  using _cursors = {
    [Symbol.dispose]: () => {
      for (const c of cursors) c[Symbol.dispose]();
    },
  };
  for (const s of set.shards) cursors.push(new ShardCursor(s));
  const ids = new IdSet();
  let kept = 0;
  let duplicates = 0;
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
  while (kept < want) {
    let next: ShardCursor | undefined;
    for (const c of cursors) if (c.head && (!next || c.head.row.index < next.head!.row.index)) next = c;
    if (!next || (!partial && next.head!.row.index >= frontier)) break;
    const { row, raw } = next.head!;
    const line = next.line();
    if (ids.add(row.id)) {
      take(row, raw, line);
      kept++;
      lastKept = row.index;
    } else duplicates++;
    next.advance();
    settle(next);
    // JavaScriptCore collects lazily: without a periodic full collection the parsed rows' garbage, not the data, sets the RSS.
    if (++steps % GC_EVERY === 0) Bun.gc(true);
  }
  if (kept < want && !partial && cursors.some((c) => c.head)) {
    throw new WorkFailedError(
      `the shards decided the stream only below index ${frontier} (${limiting!.name} kept its ${limiting!.manifest.requested} by then): ${kept} of ${want} examples in stream order`,
      `Rerun ${limiting!.name}'s gen with a larger --count (it resumes), or merge fewer with --count ${kept}.`,
    );
  }
  return { lastKept, duplicates };
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
