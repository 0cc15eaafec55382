import type { BrokenProof, ExtraProofContext, ExtraProofs, ProofFailure } from "./family.ts";
import { ERROR_MARK, type RenderedExample } from "./render.ts";
import type { ScriptOutcome } from "./script.ts";

/**
 * Judges a troubleshoot question's broken script run: it must fail in a `witness` command, the way its cause says
 * (`classify` of what witness printed). The error it quotes is every error witness logged at the end of that run.
 */
export function judgeBroken(b: NonNullable<RenderedExample["broken"]>, r: ScriptOutcome): { ok: true; broken: BrokenProof } | ProofFailure {
  const failedAs = r.kind ?? "";
  const command = r.failingCommand ?? "";
  if (r.ok || r.exitCode <= 0 || failedAs !== b.expect || !/^witness /.test(command) || !r.message) {
    const what = r.ok ? "passed" : `failed as ${failedAs} in \`${command.slice(0, 80)}\``;
    return {
      ok: false,
      kind: "broken-script",
      reason: `broken-script: ${b.cause}: the broken script ${what}, not as ${b.expect} in a witness command`,
      stderrTail: r.stderrTail,
    };
  }
  return {
    ok: true,
    broken: { cause: b.cause, failedAs, failingCommand: command, exitCode: r.exitCode, error: maskDigests(quoted(r.stderrTail, r.message)) },
  };
}

/** What the question quotes: every error witness logged at the end of the run, else the last error line. */
function quoted(stderrTail: string, last: string): string {
  const errors = witnessErrors(stderrTail);
  const text = errors.length ? errors.join("\n") : last;
  if (text.length <= 1200) return text;
  // Cut at a line's end: a question quotes whole lines of what witness printed.
  const cut = text.lastIndexOf("\n", 1200);
  return `${text.slice(0, cut > 0 ? cut : 1200)}\n…`;
}

// troubleshoot's proof hooks (function declarations: troubleshoot.ts and this module import each other).

/** The broken edit must apply exactly once, or there is no broken script to run. */
export function brokenPrecheck(ex: RenderedExample): ProofFailure | undefined {
  return ex.broken && !ex.broken.script
    ? { ok: false, kind: "cause-target", reason: `cause-target: ${ex.broken.cause}: its edit does not apply exactly once`, stderrTail: "" }
    : undefined;
}

/** The user's broken script must fail as its cause says; it is the answer's with one edit, so it too starts at the last checkpoint before it. */
export async function proveBroken(ex: RenderedExample, ctx: ExtraProofContext): Promise<ProofFailure | { ok: true; extra: ExtraProofs }> {
  if (!ex.broken) return { ok: true, extra: {} };
  const judged = judgeBroken(ex.broken, await ctx.run(ex.broken.script, { trace: true }));
  return judged.ok ? { ok: true, extra: { broken: judged.broken } } : judged;
}

/** The question quotes the error the broken script really printed. */
export function quoteBrokenError(ex: RenderedExample, extra: ExtraProofs): RenderedExample {
  return extra.broken ? { ...ex, question: ex.question.replace(ERROR_MARK, () => extra.broken!.error) } : ex;
}

/** Every distinct error witness logged (`level=error msg="…"`, unescaped), in order. */
export function witnessErrors(stderr: string): string[] {
  const all = [...stderr.matchAll(/level=(?:error|fatal) msg="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\n/g, " ").replace(/\\(.)/g, "$1").trim());
  return [...new Set(all)];
}

/**
 * What varies between two runs of one script is masked in a quoted error, in words that say so: digests and key IDs
 * (fresh keys every run; `[digest, varies per run]`, numbered `[digest 1, …]`, `[digest 2, …]` when a line holds several
 * different ones, so "expected X but got Y" still reads as two values), and paths under a temporary directory
 * (`[temp dir, varies per run]`). Line by line, so a quoted line is the mask of one printed line. Nothing else changes:
 * the rest is the real run's text, never a placeholder.
 */
export const VARIES = "varies per run";
export function maskDigests(text: string): string {
  return text.split("\n").map(maskLine).join("\n");
}

function maskLine(line: string): string {
  const hex = /\b[0-9a-f]{40,}\b/g;
  const distinct = [...new Set(line.match(hex) ?? [])];
  const label = (d: string): string => (distinct.length > 1 ? `[digest ${distinct.indexOf(d) + 1}, ${VARIES}]` : `[digest, ${VARIES}]`);
  return line.replace(hex, label).replace(/(?<![\w.])\/(?:tmp|var\/folders|private\/var)\/[^\s"':]+/g, `[temp dir, ${VARIES}]`);
}
