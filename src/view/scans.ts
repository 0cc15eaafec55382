import { existsSync, statSync } from "node:fs";
import { indexLines, type LineIndex } from "./lines.ts";
import { type MetaRow, type MetaScan, scanWitnessMeta, witnessMetaRows } from "./witness-meta.ts";

const EMPTY: LineIndex = { starts: [], ends: [] };

/**
 * The reads of one viewed directory, each made once and shared: the overview counts a file's lines with the
 * index the browsers then page by. A request made while a read is under way awaits that same read.
 */
export class Scans {
  private readonly lines = new Map<string, Promise<LineIndex>>();
  private readonly metas = new Map<string, Promise<MetaScan>>();
  private readonly metaRows = new Map<string, Promise<MetaRow[]>>();

  /** The non-blank lines of a file (none when it is absent or empty). */
  lineIndex(file: string): Promise<LineIndex> {
    return once(this.lines, file, () => (existsSync(file) && statSync(file).size > 0 ? indexLines(file) : Promise.resolve(EMPTY)));
  }

  /** A witness meta.jsonl's tallies (the overview's). */
  witnessMeta(file: string): Promise<MetaScan> {
    return once(this.metas, file, () => scanWitnessMeta(file));
  }

  /** A witness meta.jsonl's rows (the example browser's). */
  witnessRows(file: string): Promise<MetaRow[]> {
    return once(this.metaRows, file, () => witnessMetaRows(file));
  }
}

function once<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (!p) {
    p = make();
    cache.set(key, p);
  }
  return p;
}
