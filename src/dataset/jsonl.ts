import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, truncateSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { fileError, InputError } from "../errors.ts";
import { assertRegularFile, READ_LIMITS, readBoundedText, stripBom } from "../files.ts";

export interface JsonlLine<T> {
  line: number;
  value: T;
}

/** Reads a JSONL file; a bad line is an InputError naming file and line (exit 2). Blank lines are skipped. */
export function readJsonl<T = unknown>(file: string): JsonlLine<T>[] {
  if (!existsSync(file)) throw new InputError(`${file}: no such file`);
  const text = stripBom(readBoundedText(file, READ_LIMITS.dataset, "JSONL file"));
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
 * Streams a JSONL file line by line in fixed-size chunks, so memory stays flat however large the file;
 * a bad line is an InputError naming file and line, as with `readJsonl`. Blank lines are skipped.
 */
export async function* streamJsonl<T = unknown>(
  file: string,
  chunkBytes = 1 << 20,
  /** Lines between full collections (0: never) — flat memory for huge files, at a cost in time for small ones. */
  gcEvery = 16384,
): AsyncGenerator<JsonlLine<T>> {
  if (!existsSync(file)) throw new InputError(`${file}: no such file`);
  // A FIFO or a device would block or never end: only regular files are read.
  assertRegularFile(file, "JSONL file");
  const handle = await open(file, "r");
  try {
    const buf = Buffer.allocUnsafe(chunkBytes);
    let carry: Buffer[] = [];
    let lineNo = 0;
    const parse = (bytes: Buffer, last: boolean): JsonlLine<T> | undefined => {
      lineNo += 1;
      // JavaScriptCore lets the garbage of parsed lines pile up for a long while; a minor collection now and
      // then (a full one: a minor one does not return the memory) keeps the resident size flat on multi-gigabyte files at little cost.
      if (gcEvery > 0 && lineNo % gcEvery === 0) Bun.gc(true);
      const raw = lineNo === 1 ? stripBom(bytes.toString("utf8")) : bytes.toString("utf8");
      if (!raw.trim()) return undefined;
      try {
        return { line: lineNo, value: JSON.parse(raw) as T };
      } catch (error) {
        throw new InputError(`${file}:${lineNo}: ${last ? "truncated last line" : "not valid JSON"} (${(error as Error).message})`);
      }
    };
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, chunkBytes, null);
      if (bytesRead === 0) break;
      let start = 0;
      for (let nl = buf.indexOf(0x0a, 0); nl !== -1 && nl < bytesRead; nl = buf.indexOf(0x0a, start)) {
        const piece = buf.subarray(start, nl);
        const bytes = carry.length ? Buffer.concat([...carry, piece]) : piece;
        carry = [];
        start = nl + 1;
        const row = parse(bytes, false);
        if (row) yield row;
      }
      // Copy the unfinished line out: the buffer is reused by the next read.
      if (start < bytesRead) carry.push(Buffer.from(buf.subarray(start, bytesRead)));
    }
    if (carry.length) {
      const row = parse(Buffer.concat(carry), true);
      if (row) yield row;
    }
  } finally {
    await handle.close();
  }
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
  /** The 1-based line of each record in `records` (as read; appended records get theirs too). */
  readonly lines: number[] = [];
  readonly repaired: boolean;
  private nextLine = 1;
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
      const rows = bytes.subarray(0, end).toString("utf8").split("\n");
      this.nextLine = rows.length;
      for (const [i, raw] of rows.entries()) {
        if (!raw.trim()) continue;
        try {
          this.records.push(JSON.parse(raw) as T);
          this.lines.push(i + 1);
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
  /** Appends one record; `durable` also fsyncs, so the record survives a crash of the machine, not only of sekft. */
  append(record: T, opts: { durable?: boolean } = {}): void {
    const line = Buffer.from(`${JSON.stringify(record)}\n`, "utf8");
    try {
      // One write(2) per record; a short one leaves a torn line that the next open cuts, so it is an error here.
      const n = writeSync(this.fd, line);
      if (n !== line.length) throw Object.assign(new Error("short write"), { code: "ENOSPC" });
      if (opts.durable) fsyncSync(this.fd);
    } catch (error) {
      throw fileError(error, "append to", this.file);
    }
    this.records.push(record);
    this.lines.push(this.nextLine++);
  }
  [Symbol.dispose](): void {
    closeSync(this.fd);
  }
}

/**
 * Writes the files a trainer loads, each whole; a file with no line is not written (and an older one of that name
 * is removed): `datasets` and mlx-lm refuse an empty file. Returns the names written and the names left empty.
 */
export function writeLineFiles(dir: string, files: Record<string, unknown[]>): { written: string[]; empty: string[] } {
  const written: string[] = [];
  const empty: string[] = [];
  for (const [name, rows] of Object.entries(files)) {
    const file = `${dir}/${name}`;
    if (rows.length) {
      writeJsonlAtomic(file, rows);
      written.push(name);
    } else {
      rmSync(file, { force: true });
      empty.push(name);
    }
  }
  return { written, empty };
}
