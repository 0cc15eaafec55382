// needs: witness
import { describe, expect } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { draftExample, familyShapers } from "../../src/witness/families.ts";
import { finish } from "../../src/witness/render.ts";
import { extractScript } from "../../src/witness/script.ts";
import { POSIX_UTILITIES, prerequisites, statedPrerequisites } from "../../src/witness/sections.ts";
import { FAMILIES, sampleSpecs } from "../../src/witness/spec.ts";
import { testWith, witnessBin } from "../helpers/deps.ts";
import { dimsOf, fixtureCatalog } from "../helpers/witness.ts";

const WITNESS = witnessBin();
const cfg = loadConfig(undefined).witness;
const HOME = process.env.HOME ?? "/root";
// The host's PATH without entries under HOME: `gen` leaves those out too (`sekft verify` hides HOME), so a tool
// found only there (a rustup proxy, a pyenv shim) has no command here.
const HOST_PATH = (process.env.PATH ?? "/usr/bin:/bin")
  .split(":")
  .filter((d) => d && !d.startsWith(`${HOME}/`))
  .join(":");
const where = (p: string): string | null => (p === "witness" ? (WITNESS ?? null) : Bun.which(p, { PATH: HOST_PATH }));

/**
 * Examples of the default config until every family, every configured command and every program an answer can name
 * has run once (among those whose programs this machine has).
 */
function examples(): { family: string; needs: string[]; answer: string }[] {
  const families = FAMILIES.map((name) => ({
    name,
    weight: cfg.families[name]?.weight ?? 0,
    questions: name === "attest" ? cfg.questions.length : (cfg.families[name]?.questions.length ?? 0),
  }));
  const out: { family: string; needs: string[]; answer: string }[] = [];
  // What an example adds to the ones before it: a command, a family or a program not yet run.
  const seen = new Set<string>();
  let n = 0;
  for (const { spec } of sampleSpecs({ ...dimsOf(cfg), families }, 17, undefined, familyShapers(cfg))) {
    if (++n > 3000) break;
    const d = draftExample(spec, cfg, fixtureCatalog());
    const needs = prerequisites(d.sections);
    if (!needs.every((p) => where(p))) continue;
    const family = spec.family ?? "attest";
    const fresh = [`command ${spec.command}`, `family ${family}`, ...needs].filter((k) => !seen.has(k));
    if (!fresh.length) continue;
    for (const k of fresh) seen.add(k);
    out.push({ family, needs, answer: finish(d).answer });
  }
  return out;
}

/** A directory of symlinks to each stated program and each POSIX utility the host has: the only PATH a script gets. */
function restrictedBin(root: string, needs: string[]): string {
  const bin = join(root, "bin");
  mkdirSync(bin);
  for (const p of new Set([...needs, ...POSIX_UTILITIES])) {
    const real = where(p);
    if (real) symlinkSync(real, join(bin, p));
  }
  return bin;
}

describe("stated prerequisites are enough (real witness, real build tools)", () => {
  testWith(
    Boolean(WITNESS),
    "every family's scripts pass with PATH holding only the programs their first sentence names plus POSIX utilities",
    async () => {
      const picked = examples();
      expect(new Set(picked.map((e) => e.family))).toEqual(new Set(FAMILIES));
      expect(picked.length).toBeGreaterThanOrEqual(8);
      for (const { family, needs, answer } of picked) {
        const stated = statedPrerequisites(answer)[0] ?? [];
        expect(stated).toEqual(needs);
        const root = mkdtempSync(join(tmpdir(), "sekft-prereq-"));
        try {
          const bin = restrictedBin(root, stated);
          const work = join(root, "work");
          mkdirSync(work);
          writeFileSync(join(root, "script.sh"), extractScript(answer));
          // Real HOME: build tools keep their caches there, as they would for a user. gcc runs `as` and `ld` through
          // the PATH, so an answer that runs `cc` names them too; go finds its toolchain under GOROOT, javac its JDK.
          const p = Bun.spawnSync(["/bin/sh", "-eu", join(root, "script.sh")], {
            cwd: work,
            env: { PATH: bin, HOME, LC_ALL: "C" },
            stdout: "pipe",
            stderr: "pipe",
          });
          const said = `${p.stdout.toString()}${p.stderr.toString()}`;
          expect(p.exitCode, `${family} [${stated.join(" ")}]:\n${said.slice(-3000)}`).toBe(0);
          expect(said).toContain("Verification succeeded");
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      }
    },
    1_800_000,
  );
});
