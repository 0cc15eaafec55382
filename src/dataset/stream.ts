import { createHash } from "node:crypto";
import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { openRegularFile, UTF8_BOM } from "../files.ts";

const CHUNK = 1 << 16;

/**
 * Reads a file one line at a time through a fixed buffer (synchronous, so many files can be merged in step
 * without holding any of them). Lines are returned without their "\n"; the last line may lack one.
 */
export class LineReader implements Disposable {
  private readonly fd: number;
  private buf = Buffer.alloc(0);
  private eof = false;
  /** 1-based number of the line last returned, for messages. */
  line = 0;
  constructor(readonly file: string) {
    this.fd = openRegularFile(file, "JSONL file").fd;
  }
  /** The next line's bytes, or undefined at the end of the file. */
  next(): Buffer | undefined {
    for (;;) {
      const nl = this.buf.indexOf(0x0a);
      if (nl >= 0) {
        const line = this.buf.subarray(0, nl);
        this.buf = this.buf.subarray(nl + 1);
        this.line++;
        return this.withoutBom(line);
      }
      if (this.eof) {
        if (this.buf.length === 0) return undefined;
        const line = this.buf;
        this.buf = Buffer.alloc(0);
        this.line++;
        return this.withoutBom(line);
      }
      const chunk = Buffer.allocUnsafe(CHUNK);
      const n = readSync(this.fd, chunk, 0, CHUNK, null);
      if (n === 0) this.eof = true;
      else this.buf = this.buf.length ? Buffer.concat([this.buf, chunk.subarray(0, n)]) : chunk.subarray(0, n);
    }
  }
  /** Line 1 without a leading byte order mark. */
  private withoutBom(line: Buffer): Buffer {
    return this.line === 1 && line.subarray(0, 3).equals(UTF8_BOM) ? line.subarray(3) : line;
  }
  [Symbol.dispose](): void {
    closeSync(this.fd);
  }
}

/** Writes a file through a small buffer to `<file>.partial`; `commit()` syncs and renames it, disposal without it removes it. */
export class AtomicWriter implements Disposable {
  private readonly fd: number;
  private readonly partial: string;
  private pending: Buffer[] = [];
  private size = 0;
  private done = false;
  constructor(readonly file: string) {
    this.partial = `${file}.partial`;
    this.fd = openSync(this.partial, "w");
  }
  write(data: Buffer | string): void {
    const b = typeof data === "string" ? Buffer.from(data) : data;
    this.pending.push(b);
    this.size += b.length;
    if (this.size >= CHUNK) this.flush();
  }
  /** Writes one line (the bytes and a "\n"). */
  writeLine(data: Buffer | string): void {
    this.write(data);
    this.write("\n");
  }
  private flush(): void {
    if (this.size) writeSync(this.fd, Buffer.concat(this.pending, this.size));
    this.pending = [];
    this.size = 0;
  }
  commit(): void {
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.partial, this.file);
    this.done = true;
  }
  [Symbol.dispose](): void {
    if (this.done) return;
    closeSync(this.fd);
    rmSync(this.partial, { force: true });
  }
}

/** Lower-case hex SHA-256 of a file, read in chunks (memory does not grow with the file). */
export function sha256File(file: string): string {
  const hash = createHash("sha256");
  const { fd } = openRegularFile(file);
  try {
    const chunk = Buffer.allocUnsafe(CHUNK);
    for (let n = readSync(fd, chunk, 0, CHUNK, null); n > 0; n = readSync(fd, chunk, 0, CHUNK, null)) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}
