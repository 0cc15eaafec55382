import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fencedBlocks } from "../dataset/chat.ts";
import { exitMeaning, lastLines, runProcess } from "../proc/run.ts";
import { makeOwnedTempDir } from "../proc/temp.ts";

/** The script of an answer: its `sh` fenced blocks, concatenated in order. */
export function extractScript(markdown: string): string {
  const blocks = fencedBlocks(markdown)
    .filter((f) => f.lang === "sh")
    .map((f) => f.body);
  return blocks.length ? `${blocks.join("\n")}\n` : "";
}

/** The last command of a script, ignoring blank lines and comments. */
export function lastCommand(script: string): string {
  const lines = script
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  return lines.at(-1) ?? "";
}

export interface ScriptOutcome {
  ok: boolean;
  /** Short machine-friendly reason when not ok. */
  reason?: string;
  exitCode: number;
  stderrTail: string;
  durationMs: number;
  cpuSeconds: number;
  /** Which of the requested phrases appeared on stderr. */
  found: string[];
}

export interface ScriptEnv {
  /** PATH for the script: the witness directory first, then the host PATH. */
  path: string;
  home: string;
  timeoutMs: number;
  signal?: AbortSignal;
  shell?: string;
  /** Phrases to look for on stderr (a Rego rule's deny message). */
  phrases?: string[];
}

/** The PATH a script sees: the witness binary's directory first. */
export function scriptPath(witness: string, hostPath: string): string {
  return `${dirname(witness)}:${hostPath}`;
}

/**
 * Runs a script the way the rules say a reader would: `sh -eu` in an empty directory with only PATH
 * and HOME set. Passes only when it exits 0, its last command is `witness verify`, and witness said so.
 */
export async function runScript(script: string, env: ScriptEnv): Promise<ScriptOutcome> {
  if (!script.trim()) return fail("no-script", "the answer has no ```sh blocks");
  if (!/^witness verify\b/.test(lastCommand(script)))
    return fail("not-verify-last", `the last command is not witness verify: ${lastCommand(script).slice(0, 120)}`);
  const dir = makeOwnedTempDir("sekft-ex");
  const work = join(dir, "work");
  try {
    writeFileSync(join(dir, "script.sh"), script);
    mkdirSync(work);
    const r = await runProcess([env.shell ?? "sh", "-eu", join(dir, "script.sh")], {
      cwd: work,
      env: { PATH: env.path, HOME: env.home },
      timeoutMs: env.timeoutMs,
      signal: env.signal,
      maxOutput: 256 * 1024,
    });
    const tail = lastLines(r.stderr, 15);
    const found = (env.phrases ?? []).filter((p) => r.stderr.includes(p));
    const base = { exitCode: r.exitCode, stderrTail: tail, durationMs: r.durationMs, cpuSeconds: r.cpuSeconds, found };
    if (r.timedOut) return { ...base, ok: false, reason: `timeout: the script ran longer than ${env.timeoutMs / 1000}s` };
    if (r.aborted) return { ...base, ok: false, reason: "interrupted" };
    if (r.exitCode !== 0) return { ...base, ok: false, reason: `${classify(r.stderr)}: the script exited ${r.exitCode} (${exitMeaning(r.exitCode)})` };
    if (!/Verification succeeded/.test(r.stderr)) return { ...base, ok: false, reason: "no-success: witness verify did not report success" };
    return { ...base, ok: true };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fail(code: string, message: string): ScriptOutcome {
  return { ok: false, reason: `${code}: ${message}`, exitCode: -1, stderrTail: "", durationMs: 0, cpuSeconds: 0, found: [] };
}

/** Names why a witness script failed, from the phrases witness prints (matched loosely). */
export function classify(stderr: string): string {
  const s = stderr;
  if (/policy expired|Policy expired on/.test(s)) return "expired-policy";
  if (/policy validation failed/.test(s)) return "invalid-policy";
  if (/failed to verify policy signature/.test(s)) return "bad-policy-signature";
  if (/expected key id .* but got/.test(s)) return "keyid-mismatch";
  if (/rego policy evaluation failed|policy was denied due to/.test(s)) return "rego-deny";
  if (/mismatched digests/.test(s)) return "artifact-mismatch";
  if (/failed to load attestation file|invalid character|illegal base64|signature(s)? .*invalid|failed to verify signature/i.test(s)) return "bad-attestation";
  if (/no verifiers present to validate against collection verifiers/.test(s) && /collection rejected/.test(s)) return "untrusted-signer";
  if (/no verifiers matched with allowed functionaries/.test(s)) return "not-a-functionary";
  if (/no passed collections present|no collections found|predicate type\s+is not a collection/.test(s)) return "no-matching-attestation";
  if (/Verification failed|policy verification failed/.test(s)) return "verify-failed";
  if (/attestor .* failed|failed to run attestors|attestors failed/.test(s)) return "witness-run-failed";
  if (/command not found|not found/.test(s)) return "missing-tool";
  return "script-failed";
}
