import { closeSync, openSync, readSync } from "node:fs";

/** Where each non-blank line of a file lies, as byte offsets: line i is [starts[i], ends[i]). */
export interface LineIndex {
  starts: number[];
  ends: number[];
}

/** Scans a file for newlines in fixed chunks; memory is two numbers per line, never the file. */
export function indexLines(file: string, chunkBytes = 1 << 22): LineIndex {
  const starts: number[] = [];
  const ends: number[] = [];
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.allocUnsafe(chunkBytes);
    let pos = 0;
    let lineStart = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, chunkBytes, pos);
      if (n === 0) break;
      for (let nl = buf.indexOf(0x0a, 0); nl !== -1 && nl < n; nl = buf.indexOf(0x0a, nl + 1)) {
        const end = pos + nl;
        if (end > lineStart) {
          starts.push(lineStart);
          ends.push(end);
        }
        lineStart = end + 1;
      }
      pos += n;
    }
    if (pos > lineStart) {
      starts.push(lineStart);
      ends.push(pos);
    }
  } finally {
    closeSync(fd);
  }
  return { starts, ends };
}

/** Reads and parses the JSON of one line by its byte range. */
export function readLineAt<T = unknown>(file: string, start: number, end: number): T {
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.allocUnsafe(end - start);
    readSync(fd, buf, 0, end - start, start);
    return JSON.parse(buf.toString("utf8")) as T;
  } finally {
    closeSync(fd);
  }
}
