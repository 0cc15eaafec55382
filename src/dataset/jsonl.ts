import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, truncateSync, writeSync } from "node:fs";
import { fileError, InputError } from "../errors.ts";
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

/**
 * Writes a whole file via `<file>.partial` + fsync + rename, so a reader never sees half of it. Every write is
 * checked (a short write is continued, never ignored); on any failure the `.partial` is removed and the error
 * names the file: a full disk is exit 1 (the work ran and failed), a wrong path exit 2.
 */
export function writeFileAtomic(file: string, text: string | Uint8Array): void {
  const partial = `${file}.partial`;
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  let fd: number | undefined;
  try {
    fd = openSync(partial, "w");
    let off = 0;
    while (off < bytes.length) {
      const n = writeSync(fd, bytes, off, bytes.length - off);
      if (n <= 0) throw Object.assign(new Error("short write"), { code: "EIO" });
      off += n;
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(partial, file);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(partial, { force: true });
    throw fileError(error, "write", file);
  }
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
    try {
      this.fd = openSync(file, "a");
    } catch (error) {
      throw fileError(error, "open", file);
    }
  }
  append(record: T): void {
    const line = Buffer.from(`${JSON.stringify(record)}\n`, "utf8");
    try {
      // One write(2) per record; a short one leaves a torn line that the next open cuts, so it is an error here.
      const n = writeSync(this.fd, line);
      if (n !== line.length) throw Object.assign(new Error("short write"), { code: "ENOSPC" });
    } catch (error) {
      throw fileError(error, "append to", this.file);
    }
    this.records.push(record);
  }
  [Symbol.dispose](): void {
    closeSync(this.fd);
  }
}
