import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { basename, isAbsolute, join, resolve, sep } from "node:path";
import { fileError, InputError } from "./errors.ts";

/** Size caps for the files sekft reads whole; a larger file is refused before it is read. */
export const READ_LIMITS = {
  config: 4 * 2 ** 20,
  manifest: 16 * 2 ** 20,
  bundle: 64 * 2 ** 20,
  dataset: 2 ** 30,
  trace: 256 * 2 ** 20,
  trainingLog: 256 * 2 ** 20,
  key: 2 ** 20,
  // A DSSE envelope holds its payload in base64: room for a trace at its own cap.
  envelope: 512 * 2 ** 20,
} as const;

function mib(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : `${bytes} bytes`;
}

const NOT_REGULAR = "not a regular file (FIFOs, devices and sockets are not read)";

function refuseIrregular(file: string, isDirectory: boolean, what: string): never {
  throw new InputError(isDirectory ? `${file}: is a directory, not a regular file (a ${what} was expected)` : `${file}: ${NOT_REGULAR}`);
}

/**
 * Opens a regular file for reading and returns its descriptor and size. A FIFO, device, socket or directory is
 * refused without blocking (reading one would wait for a writer or never end): an InputError naming the file (exit 2).
 * The caller closes the descriptor.
 */
export function openRegularFile(file: string, what = "file"): { fd: number; size: number } {
  let fd: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) refuseIrregular(file, st.isDirectory(), what);
    // O_NONBLOCK: if the path was swapped for a FIFO after the check, open returns instead of waiting for a writer.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw fileError(error, "read", file);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) refuseIrregular(file, st.isDirectory(), what);
    return { fd, size: st.size };
  } catch (error) {
    closeSync(fd);
    throw fileError(error, "read", file);
  }
}

/** Refuses (as {@link openRegularFile} does) a path that is not a regular file, without reading it. */
export function assertRegularFile(file: string, what = "file"): void {
  closeSync(openRegularFile(file, what).fd);
}

/**
 * Reads a whole regular file of at most `maxBytes`. A FIFO, device or socket is refused without opening it
 * (reading one would block or never end), and a file past the cap is never read whole: both are InputErrors
 * naming the file (exit 2).
 */
export function readBoundedFile(file: string, maxBytes: number, what = "file"): Buffer {
  const { fd, size } = openRegularFile(file, what);
  try {
    if (size > maxBytes) throw new InputError(`${file}: ${size} bytes is over the ${mib(maxBytes)} limit for a ${what}`);
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

/** The UTF-8 byte order mark some editors put first in a text file; JSONL readers drop it from line 1. */
export const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** TEXT without a leading byte order mark. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** {@link readBoundedFile} as UTF-8 text. */
export function readBoundedText(file: string, maxBytes: number, what = "file"): string {
  return readBoundedFile(file, maxBytes, what).toString("utf8");
}

/** A path named by data (a manifest key, a bundle name, a URL) placed inside its root, or why it may not be. */
export type Inside = { ok: true; path: string; exists: boolean } | { ok: false; why: string };

const within = (root: string, p: string): boolean => p === root || p.startsWith(root === sep ? root : root + sep);

/** The real path of P: the real path of its longest existing prefix with the rest appended (P need not exist yet). */
function realPathOf(p: string): { path: string; exists: boolean } | undefined {
  const rest: string[] = [];
  let head = p;
  for (;;) {
    try {
      return { path: join(realpathSync(head), ...rest), exists: rest.length === 0 };
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") return undefined;
      // A symlink that points at nothing (or through one): where it would write is not known here.
      if (lstatIsLink(head)) return undefined;
      const parent = resolve(head, "..");
      if (parent === head) return undefined;
      rest.unshift(basename(head));
      head = parent;
    }
  }
}

function lstatIsLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * The one containment check for paths that come from data: KEY is refused when empty, absolute, with a `..`
 * segment, a NUL byte or a backslash, or when its real path (symlinks followed for the part that exists) lies
 * outside ROOT's real path. Neither needs to exist yet (a destination is checked before it is made); nothing is
 * read or written here, and the caller uses the returned real path.
 */
export function resolveInside(root: string, key: string): Inside {
  if (key === "") return { ok: false, why: "is empty" };
  if (key.includes("\0")) return { ok: false, why: "contains a NUL byte" };
  if (key.includes("\\")) return { ok: false, why: "contains a backslash" };
  if (isAbsolute(key)) return { ok: false, why: "is absolute" };
  if (key.split("/").includes("..")) return { ok: false, why: "has a .. segment" };
  const base = realPathOf(resolve(root));
  if (!base) return { ok: false, why: `has no directory to be inside (${root} goes through a broken symlink)` };
  const joined = resolve(base.path, key);
  const real = realPathOf(joined);
  if (!real) return { ok: false, why: "goes through a broken or looping symlink" };
  if (!within(base.path, real.path)) return { ok: false, why: `leaves ${root} through a symlink (to ${real.path})` };
  return { ok: true, path: real.path, exists: real.exists };
}

/** Whether A is B or lies inside it, both by real path (A need not exist yet). */
export function isWithin(a: string, b: string): boolean {
  const ra = realPathOf(resolve(a));
  const rb = realPathOf(resolve(b));
  return Boolean(ra && rb && within(rb.path, ra.path));
}
