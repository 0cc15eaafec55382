import { existsSync, statSync } from "node:fs";
import { indexLines, type LineIndex } from "./lines.ts";
import { type MetaRow, type MetaScan, scanWitnessMeta, witnessMetaRows } from "./witness-meta.ts";

const EMPTY: LineIndex = { starts: [], ends: [] };
// Above this, a file is indexed in a worker thread: reading it is mostly copying pages, which then overlaps the
// main thread's JSON parsing; below it, a thread's start costs more than it saves.
const WORKER_BYTES = 64 << 20;
// In the compiled binary every module's import.meta.url is the binary's and the worker is an entry point under its
// path from src/; from source it lies beside this file.
const WORKER = import.meta.url.includes("/$bunfs/") ? "./view/index-worker.ts" : new URL("./index-worker.ts", import.meta.url).href;

/** Indexes a file in a worker; undefined when none could run it (a build without the entry point: index in-thread). */
export function indexInWorker(file: string): Promise<LineIndex | undefined> {
  return new Promise((resolve) => {
    const worker = new Worker(WORKER);
    worker.onmessage = (e: MessageEvent<LineIndex>) => {
      worker.terminate();
      resolve(e.data);
    };
    worker.onerror = () => {
      worker.terminate();
      resolve(undefined);
    };
    worker.postMessage({ file });
  });
}

async function indexFile(file: string): Promise<LineIndex> {
  const size = existsSync(file) ? statSync(file).size : 0;
  if (!size) return EMPTY;
  return (size >= WORKER_BYTES ? await indexInWorker(file) : undefined) ?? indexLines(file);
}

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
    return once(this.lines, file, () => indexFile(file));
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
