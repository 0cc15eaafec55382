import { closeSync, constants, fstatSync, openSync, readSync, statSync } from "node:fs";
import { fileError, InputError } from "./errors.ts";

/** Size caps for the files sekft reads whole; a larger file is refused before it is read. */
export const READ_LIMITS = {
  config: 4 * 2 ** 20,
  manifest: 16 * 2 ** 20,
  bundle: 64 * 2 ** 20,
  dataset: 2 ** 30,
} as const;

function mib(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : `${bytes} bytes`;
}

/**
 * Reads a whole regular file of at most `maxBytes`. A FIFO, device or socket is refused without opening it
 * (reading one would block or never end), and a file past the cap is never read whole: both are InputErrors
 * naming the file (exit 2).
 */
export function readBoundedFile(file: string, maxBytes: number, what = "file"): Buffer {
  let size: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new InputError(`${file}: is a directory, not a ${what}`);
    if (!st.isFile()) throw new InputError(`${file}: not a regular file (FIFOs, devices and sockets are not read)`);
    size = st.size;
  } catch (error) {
    throw fileError(error, "read", file);
  }
  if (size > maxBytes) throw new InputError(`${file}: ${size} bytes is over the ${mib(maxBytes)} limit for a ${what}`);
  let fd: number;
  try {
    // O_NONBLOCK: if the path was swapped for a FIFO after the check, open returns instead of waiting for a writer.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw fileError(error, "read", file);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new InputError(`${file}: not a regular file (FIFOs, devices and sockets are not read)`);
    // Read in chunks up to one byte past the cap: a file that grew since the stat is still bounded.
    const chunks: Buffer[] = [];
    let got = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(Math.max(size - got, 0) + 65_536, maxBytes + 1 - got));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      got += n;
      if (got > maxBytes) throw new InputError(`${file}: over the ${mib(maxBytes)} limit for a ${what}`);
    }
    return Buffer.concat(chunks, got);
  } catch (error) {
    throw fileError(error, "read", file);
  } finally {
    closeSync(fd);
  }
}

/** {@link readBoundedFile} as UTF-8 text. */
export function readBoundedText(file: string, maxBytes: number, what = "file"): string {
  return readBoundedFile(file, maxBytes, what).toString("utf8");
}
