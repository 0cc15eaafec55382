import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, truncateSync, writeSync } from "node:fs";
import { InputError } from "../errors.ts";
import { READ_LIMITS, readBoundedText } from "../files.ts";

export interface JsonlLine<T> {
  line: number;
  value: T;
}

/** Reads a JSONL file; a bad line is an InputError naming file and line (exit 2). Blank lines are skipped. */
export function readJsonl<T = unknown>(file: string): JsonlLine<T>[] {
  if (!existsSync(file)) throw new InputError(`${file}: no such file`);
  const text = readBoundedText(file, READ_LIMITS.dataset, "JSONL file");
  const out: JsonlLine<T>[] = [];
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    if (!raw.trim()) return;
    try {
      out.push({ line: i + 1, value: JSON.parse(raw) as T });
    } catch (error) {
      const truncated = i === lines.length - 1 && !text.endsWith("\n");
      throw new InputError(`${file}:${i + 1}: ${truncated ? "truncated last line" : "not valid JSON"} (${(error as Error).message})`);
    }
  });
  return out;
}

/** Writes a whole file via `<file>.partial` + rename, so a reader never sees half of it. */
export function writeFileAtomic(file: string, text: string): void {
  const partial = `${file}.partial`;
  const fd = openSync(partial, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(partial, file);
}

/** Writes JSONL records atomically. */
export function writeJsonlAtomic(file: string, records: unknown[]): void {
  writeFileAtomic(file, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
}

/**
 * An append-only journal of finished work: one JSON line per record, each written with a single
 * write(2), so a kill -9 loses at most the record being written. A torn last line is cut on open.
 */
export class Journal<T> implements Disposable {
  private fd: number;
  readonly records: T[] = [];
  readonly repaired: boolean;
  constructor(readonly file: string) {
    let repaired = false;
    if (existsSync(file)) {
      // Work in bytes: a character index and a byte length differ as soon as a line holds non-ASCII text.
      const bytes = readFileSync(file);
      const end = bytes.lastIndexOf(0x0a) + 1;
      if (end !== bytes.length) {
        truncateSync(file, end);
        repaired = true;
      }
      for (const raw of bytes.subarray(0, end).toString("utf8").split("\n")) {
        if (!raw.trim()) continue;
        try {
          this.records.push(JSON.parse(raw) as T);
        } catch {
          repaired = true; // a corrupt line is dropped: its work is simply redone
        }
      }
    }
    this.repaired = repaired;
    this.fd = openSync(file, "a");
  }
  append(record: T): void {
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    this.records.push(record);
  }
  [Symbol.dispose](): void {
    closeSync(this.fd);
  }
}
