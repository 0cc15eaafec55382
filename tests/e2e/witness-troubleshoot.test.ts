// needs: witness
import { describe, expect } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { familyShapers } from "../../src/witness/families.ts";
import { judgeBroken } from "../../src/witness/broken.ts";
import { checkpoints, proveExample } from "../../src/witness/prove.ts";
import { renderExample } from "../../src/witness/families.ts";
import { extractScript, runScript, scriptPath, type ScriptEnv } from "../../src/witness/script.ts";
import { sampleSpecs, type ExampleSpec } from "../../src/witness/spec.ts";
import { readingOf } from "../../src/witness/error-words.ts";
import { CAUSES, maskDigests, PLACEHOLDER, troubleshoot, witnessErrors } from "../../src/witness/troubleshoot.ts";
import { testWith, witnessBin } from "../helpers/deps.ts";
import { dimsOf, fixtureCatalog } from "../helpers/witness.ts";

const WITNESS = witnessBin();
const cfg = loadConfig(undefined).witness;
const FAST = new Set(["node-build", "cc", "make", "tarball", "checksums", "sh-build"]);

/** The first troubleshoot spec of each cause, over quick commands and quick keys. */
function onePerCause(): ExampleSpec[] {
  const dims = {
    ...dimsOf(cfg),
    keyTypes: ["ed25519", "ecdsa-p256"] as ExampleSpec["keys"]["step"][],
    commands: cfg.commands.filter((c) => FAST.has(c.name)),
    families: [{ name: "troubleshoot" as const, weight: 1, questions: cfg.families.troubleshoot.questions.length }],
  };
  const byCause = new Map<string, ExampleSpec>();
  for (const { spec } of sampleSpecs(dims, 4, undefined, familyShapers(cfg))) {
    if (!byCause.has(spec.cause!)) byCause.set(spec.cause!, spec);
    if (byCause.size === CAUSES.length) break;
  }
  return [...byCause.values()];
}

describe("troubleshoot family (real witness)", () => {
  const env = (): ScriptEnv => ({ path: scriptPath(WITNESS ?? "witness", process.env.PATH ?? ""), timeoutMs: 120_000 });

  testWith(
    Boolean(WITNESS),
    "every cause: the broken script fails as its cause says, quoting only lines a run from an empty directory prints",
    async () => {
      const specs = onePerCause();
      expect(new Set(specs.map((s) => s.cause))).toEqual(new Set(CAUSES.map((c) => c.name)));
      const fromCheckpoint = new Set<string>();
      const misread: string[] = [];
      for (const spec of specs) {
        const ex = renderExample(spec, cfg, fixtureCatalog());
        const proof = await proveExample(ex, env(), troubleshoot);
        expect(proof.ok, `${spec.cause}: ${proof.ok ? "" : `${proof.reason}\n${proof.stderrTail}`}`).toBe(true);
        if (!proof.ok) continue;
        expect(proof.broken!.failedAs).toBe(CAUSES.find((c) => c.name === spec.cause)!.expect);
        // The quote is the run's own text: what varies per run is masked in words, nothing is a placeholder.
        expect(proof.broken!.error, spec.cause).not.toMatch(PLACEHOLDER);
        // The answer reads the error first: the words it quotes from it are in the error the question quotes.
        const words = readingOf(proof.broken!.failedAs).words;
        if (!words.some((w) => proof.broken!.error.toLowerCase().includes(w.toLowerCase())))
          misread.push(`${spec.cause}: ${words.join(" | ")}\n${proof.broken!.error}`);
        expect(proof.broken!.error, spec.cause).not.toMatch(/[0-9a-f]{40}|\/tmp\//);
        // The proof ran the broken script from the last checkpoint before its edit; a reader runs it whole.
        const script = extractScript(ex.answer);
        const diff = [...script].findIndex((ch, i) => ch !== ex.broken!.script[i]);
        if (checkpoints(ex).some((p) => p.offset <= diff)) fromCheckpoint.add(spec.cause!);
        const r = await runScript(ex.broken!.script, { ...env(), trace: true });
        const whole = judgeBroken(ex.broken!, r);
        expect(whole.ok, spec.cause).toBe(true);
        if (whole.ok) {
          // witness lists a failed verify's steps, and tries a step's attestations, in map order: which reasons a run
          // prints varies from run to run (a long quote is also cut after whole lines). So every line quoted must be
          // one that whole runs print — this run, or up to two more.
          const printed = new Set(witnessErrors(r.stderrTail).flatMap((e) => e.split("\n").map((l) => l.trim())));
          const quoted = (l: string): boolean => printed.has(l) || printed.has(maskDigests(l)) || [...printed].some((p) => maskDigests(p) === l);
          for (let again = 0; again < 2 && !proof.broken!.error.split("\n").every((l) => l.trim() === "…" || quoted(l.trim())); again++) {
            const more = await runScript(ex.broken!.script, { ...env(), trace: true });
            for (const e of witnessErrors(more.stderrTail)) for (const l of e.split("\n")) printed.add(l.trim());
          }
          const quotedLines = proof
            .broken!.error.split("\n")
            .map((l) => l.trim())
            .filter((l) => l !== "…");
          for (const l of quotedLines) expect(quoted(l), `${spec.cause}: ${l}`).toBe(true);
          expect(whole.broken.failingCommand, spec.cause).toBe(proof.broken!.failingCommand);
        }
      }
      expect(misread).toEqual([]);
      // Most causes edit after the keys, so most broken runs started at a checkpoint.
      expect(fromCheckpoint.size).toBeGreaterThanOrEqual(CAUSES.length - 1);
    },
    600_000,
  );
});
