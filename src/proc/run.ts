/** The one Bun.spawn wrapper: timeout, process-group kill (TERM then KILL), stderr tail, readable failures. */
export interface RunOptions {
  cwd?: string;
  env: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  stdin?: string | Uint8Array;
  /** Bytes of stdout/stderr kept (the tail). */
  maxOutput?: number;
  /** Grace period between TERM and KILL. */
  killGraceMs?: number;
}

export interface RunResult {
  argv: string[];
  exitCode: number;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** CPU seconds of the child and its descendants (user + system), when Bun reports them. */
  cpuSeconds: number;
}

const MEANINGS: Record<number, string> = {
  126: "found but not executable",
  127: "command not found",
  130: "interrupted",
  137: "killed (SIGKILL, often a timeout or out of memory)",
  143: "terminated (SIGTERM)",
};

/** Explains an exit code in words, for failure messages. */
export function exitMeaning(code: number): string {
  return MEANINGS[code] ?? (code > 128 ? `killed by signal ${code - 128}` : "failed");
}

/** Keeps the last `max` bytes of a growing output. */
class Tail {
  private chunks: Uint8Array[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly max: number) {}
  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.size += chunk.byteLength;
    while (this.size > this.max && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.byteLength;
      this.truncated = true;
    }
  }
  text(): string {
    const buf = Buffer.concat(this.chunks);
    const cut = buf.byteLength > this.max ? buf.subarray(buf.byteLength - this.max) : buf;
    if (cut !== buf) this.truncated = true;
    return cut.toString("utf8");
  }
}

async function drain(stream: ReadableStream<Uint8Array> | null, tail: Tail): Promise<void> {
  if (!stream) return;
  for await (const chunk of stream) tail.push(chunk);
}

/** Runs argv in its own process group; never throws for a non-zero exit (see `describeFailure`). */
export async function runProcess(argv: string[], opts: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const max = opts.maxOutput ?? 64 * 1024;
  const out = new Tail(max);
  const err = new Tail(max);
  const proc = Bun.spawn(argv, {
    cwd: opts.cwd,
    env: opts.env,
    stdin: opts.stdin === undefined ? "ignore" : new Blob([opts.stdin]),
    stdout: "pipe",
    stderr: "pipe",
    detached: true, // its own process group, so a timeout kills the whole tree
  });
  let timedOut = false;
  let aborted = false;
  const kill = (): void => {
    const grace = opts.killGraceMs ?? 2000;
    killGroup(proc.pid, "SIGTERM");
    setTimeout(() => killGroup(proc.pid, "SIGKILL"), grace).unref();
  };
  const timer = opts.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        kill();
      }, opts.timeoutMs)
    : undefined;
  const onAbort = (): void => {
    aborted = true;
    kill();
  };
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();
  try {
    await Promise.all([drain(proc.stdout, out), drain(proc.stderr, err)]);
    const exitCode = await proc.exited;
    // Reap any descendants left in the group once the leader is gone.
    killGroup(proc.pid, "SIGKILL");
    const usage = proc.resourceUsage();
    const cpuSeconds = usage ? Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6 : 0;
    return {
      argv,
      exitCode,
      signal: proc.signalCode == null ? null : String(proc.signalCode),
      timedOut,
      aborted,
      stdout: out.text(),
      stderr: err.text(),
      durationMs: performance.now() - started,
      cpuSeconds,
    };
  } finally {
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
  }
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // The group is already gone.
  }
}

/** A failure message that leads with the reason: command, exit code and meaning, duration, stderr tail. */
export function describeFailure(r: RunResult, tailLines = 12): string {
  const cmd = r.argv.join(" ");
  const why = r.timedOut ? "timed out" : r.aborted ? "was interrupted" : `exited ${r.exitCode} (${exitMeaning(r.exitCode)})`;
  const tail = lastLines(r.stderr, tailLines);
  return `${cmd} ${why} after ${(r.durationMs / 1000).toFixed(1)}s${tail ? `\n${tail}` : ""}`;
}

/** The last `n` non-empty lines of a text. */
export function lastLines(text: string, n: number): string {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(-n)
    .join("\n");
}
