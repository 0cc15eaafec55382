/** Base error: every failure sekft reports carries the exit code it maps to and an optional hint. */
export class SekftError extends Error {
  readonly exitCode: number;
  readonly hint?: string;
  constructor(message: string, opts: { exitCode?: number; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = opts.exitCode ?? 1;
    this.hint = opts.hint;
  }
}

/** The request itself is wrong: bad flag, bad argument. Exit 2. */
export class UsageError extends SekftError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: 2, hint });
  }
}

/** A config file is missing, malformed or fails the schema. Exit 2. */
export class ConfigError extends SekftError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: 2, hint });
  }
}

/** A tool or service sekft needs is missing or unreachable. Exit 2. */
export class DependencyError extends SekftError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: 2, hint });
  }
}

/** An input file (JSONL, bundle) cannot be read. Exit 2. */
export class InputError extends SekftError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: 2, hint });
  }
}

/** The work ran and something failed. Exit 1. */
export class WorkFailedError extends SekftError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: 1, hint });
  }
}

/** The user interrupted (SIGINT/SIGTERM/SIGHUP); cli.ts exits with the signal's own code (130, 143, 129). */
export class InterruptedError extends SekftError {
  constructor(message = "interrupted") {
    super(message, { exitCode: 130 });
  }
}

/** `--max-time` ran out: what was decided is written as a partial set (its manifest says so); a rerun resumes. Exit 75. */
export class MaxTimeError extends SekftError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: 75, hint });
  }
}

const FS_REASONS: Record<string, string> = {
  ENOENT: "no such file or directory",
  ENOTDIR: "a part of the path is not a directory",
  EISDIR: "is a directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  EEXIST: "already exists",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EIO: "input/output error",
};

/**
 * Turns a Node file-system error into a SekftError naming the path: a path the request got wrong is exit 2;
 * a disk that filled up or failed while the work ran is exit 1. Anything else is returned unchanged.
 */
export function fileError(error: unknown, action: string, path: string): unknown {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== "string" || !(code in FS_REASONS)) return error;
  const message = `cannot ${action} ${path}: ${FS_REASONS[code]}`;
  return ["ENOSPC", "EDQUOT", "EIO"].includes(code) ? new WorkFailedError(message) : new InputError(message);
}
