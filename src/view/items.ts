import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { streamJsonl } from "../dataset/jsonl.ts";
import { ROLLOUT_FILES } from "../rollout/record.ts";
import { bundleFiles, readBundle } from "../shell/store.ts";
import { detectTracks } from "../tracks.ts";
import { WITNESS_LAYOUT } from "../witness/layout.ts";
import { readLineAt } from "./lines.ts";
import { Scans } from "./scans.ts";
import type { MetaRow } from "./witness-meta.ts";

/** What a list row shows and filters on; the item itself stays on disk until opened. */
export interface ItemSummary {
  id: string;
  split?: string;
  outcome?: string;
  dims: Record<string, string>;
}

/** A summary and where its record lies: a line of a JSONL file (byte range) or a whole file. */
interface Entry {
  summary: ItemSummary;
  file: string;
  start?: number;
  end?: number;
  /** A second record that belongs to the item (the witness meta line, the DPO pair's meta line). */
  extra?: { file: string; start: number; end: number };
}

export const KINDS = ["witness", "bundle", "trajectory", "pair"] as const;
export type Kind = (typeof KINDS)[number];

export interface ItemQuery {
  offset: number;
  limit: number;
  /** Case-insensitive text the item's question (witness) or commands must contain. */
  q?: string;
  split?: string;
  outcome?: string;
  /** `axis=value` */
  dim?: string;
}

const nonEmpty = (f: string): boolean => existsSync(f) && statSync(f).size > 0;
const lineOf = (file: string, e: { start: number; end: number }) => ({ file, start: e.start, end: e.end });

async function witnessEntries(dir: string, scans: Scans): Promise<Entry[]> {
  const out: Entry[] = [];
  const metaFile = join(dir, WITNESS_LAYOUT.meta);
  // meta.jsonl lists every kept example in stream order; each split file holds that split's examples in the same order.
  const bySplit: Record<string, MetaRow[]> = {};
  if (nonEmpty(metaFile)) for (const row of await scans.witnessRows(metaFile)) (bySplit[String(row.split)] ??= []).push(row);
  for (const split of ["train", "valid"] as const) {
    const file = join(dir, WITNESS_LAYOUT[split]);
    const idx = await scans.lineIndex(file);
    const metas = bySplit[split] ?? [];
    const aligned = metas.length === idx.starts.length;
    idx.starts.forEach((start, k) => {
      const m = aligned ? metas[k]! : undefined;
      out.push({
        summary: { id: m?.id ?? `${split}-${k}`, split, dims: m?.dims ?? {} },
        file,
        start,
        end: idx.ends[k]!,
        extra: m ? lineOf(metaFile, m) : undefined,
      });
    });
  }
  return out;
}

function bundleEntries(dir: string): Entry[] {
  return bundleFiles(dir).map((file) => {
    const b = readBundle(file);
    return { summary: { id: b.id, dims: { ...b.cell, terminal: b.terminal } }, file };
  });
}

async function trajectoryEntries(dir: string, scans: Scans): Promise<Entry[]> {
  const file = join(dir, ROLLOUT_FILES.trajectories);
  if (!nonEmpty(file)) return [];
  const idx = await scans.lineIndex(file);
  const out: Entry[] = [];
  let k = 0;
  for await (const r of streamJsonl<{ key: string; cell: Record<string, string>; outcome: string; operator: string; variant: string }>(file)) {
    const t = r.value;
    out.push({
      summary: { id: t.key, outcome: t.outcome, dims: { ...t.cell, operator: t.operator, variant: t.variant } },
      ...lineOf(file, { start: idx.starts[k]!, end: idx.ends[k]! }),
    });
    k += 1;
  }
  return out;
}

async function pairEntries(dir: string, scans: Scans): Promise<Entry[]> {
  const file = join(dir, ROLLOUT_FILES.dpo);
  const metaFile = join(dir, ROLLOUT_FILES.dpoMeta);
  if (!nonEmpty(file)) return [];
  const idx = await scans.lineIndex(file);
  const meta = nonEmpty(metaFile) ? await scans.lineIndex(metaFile) : undefined;
  const out: Entry[] = [];
  let k = 0;
  const metas = meta ? streamJsonl<Record<string, unknown>>(metaFile) : undefined;
  try {
    for (const start of idx.starts) {
      const m = metas ? (await metas.next()).value?.value : undefined;
      const outcome = typeof m?.reject_outcome === "string" ? m.reject_outcome : undefined;
      out.push({
        summary: { id: String(k), outcome, dims: { bundle: String(m?.bundle_id ?? "") } },
        file,
        start,
        end: idx.ends[k]!,
        extra: meta?.starts[k] !== undefined ? lineOf(metaFile, { start: meta.starts[k]!, end: meta.ends[k]! }) : undefined,
      });
      k += 1;
    }
  } finally {
    // The generator is left suspended at its last line: closing it closes its file (Bun kills the process over a
    // file handle left to the garbage collector).
    await metas?.return(undefined);
  }
  return out;
}

/**
 * Readers of the items of one viewed directory, indexed on first use (line offsets, never the whole text);
 * the reads are shared with the overview through `scans`.
 */
export class Catalog {
  private cache = new Map<Kind, Promise<Entry[]>>();
  private readonly parts: { track: string; target: string }[];

  constructor(
    root: string,
    private readonly scans = new Scans(),
  ) {
    this.parts = detectTracks(root);
  }

  private entries(kind: Kind): Promise<Entry[]> {
    let p = this.cache.get(kind);
    if (!p) {
      const dir = (track: string) => this.parts.find((x) => x.track === track)?.target;
      const load: Record<Kind, () => Promise<Entry[]>> = {
        witness: async () => (dir("witness") ? witnessEntries(dir("witness")!, this.scans) : []),
        bundle: async () => (dir("shell") ? bundleEntries(dir("shell")!) : []),
        trajectory: async () => (dir("rollout") ? trajectoryEntries(dir("rollout")!, this.scans) : []),
        pair: async () => (dir("rollout") ? pairEntries(dir("rollout")!, this.scans) : []),
      };
      p = load[kind]();
      this.cache.set(kind, p);
    }
    return p;
  }

  /** Reads every kind's rows now (failures surface when that kind is asked for). */
  prefetch(): void {
    for (const kind of KINDS) this.entries(kind).catch(() => undefined);
  }

  /** One page of summaries matching the filters; a text search reads only the candidates' own lines. */
  async list(kind: Kind, query: ItemQuery): Promise<{ total: number; items: (ItemSummary & { title: string })[] }> {
    const [axis, value] = query.dim ? [query.dim.slice(0, query.dim.indexOf("=")), query.dim.slice(query.dim.indexOf("=") + 1)] : [];
    let rows = (await this.entries(kind)).filter(
      (e) =>
        (!query.split || e.summary.split === query.split) &&
        (!query.outcome || e.summary.outcome === query.outcome) &&
        (!axis || (e.summary.dims[axis] ?? "").split(",").includes(value!)),
    );
    const needle = query.q?.toLowerCase();
    if (needle) rows = rows.filter((e) => titleOf(kind, read(e)).toLowerCase().includes(needle));
    const page = rows.slice(query.offset, query.offset + query.limit);
    return { total: rows.length, items: page.map((e) => ({ ...e.summary, title: titleOf(kind, read(e)).slice(0, 300) })) };
  }

  /** The full records of one item, or undefined. */
  async get(kind: Kind, id: string): Promise<{ summary: ItemSummary; record: unknown; extra: unknown } | undefined> {
    const e = (await this.entries(kind)).find((x) => x.summary.id === id);
    if (!e) return undefined;
    return { summary: e.summary, record: read(e), extra: e.extra ? readLineAt(e.extra.file, e.extra.start, e.extra.end) : null };
  }
}

function read(e: Entry): unknown {
  return e.start === undefined ? readBundle(e.file) : readLineAt(e.file, e.start, e.end!);
}

/** The line a list shows for an item: the question, the login text's first line, the commands. */
function titleOf(kind: Kind, record: unknown): string {
  const r = record as Record<string, any>;
  if (kind === "witness") return String((r.messages as { role: string; content: string }[] | undefined)?.find((m) => m.role === "user")?.content ?? "");
  if (kind === "bundle") return `${Object.values(r.cell ?? {}).join(" · ")} — ${(r.reference ?? []).map((c: { cmd: string }) => c.cmd).join(" ; ")}`;
  if (kind === "trajectory") return `${r.variant} — ${(r.turns ?? []).map((t: { cmd: string }) => t.cmd).join(" ; ")}`;
  return `${r.rejected?.[0]?.content ?? ""}`;
}
