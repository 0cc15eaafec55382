// needs: witness
import { afterAll, expect } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import type { CommandConfig } from "../../src/config/witness-schema.ts";
import { renderExample } from "../../src/witness/families.ts";
import { proveExample } from "../../src/witness/prove.ts";
import { scriptPath } from "../../src/witness/script.ts";
import { attestorId, type ExampleSpec, sampleSpecs } from "../../src/witness/spec.ts";
import { testWith, witnessBin } from "../helpers/deps.ts";
import { dimsOf, fixtureCatalog } from "../helpers/witness.ts";

// The files a command names (`witness.commands[].files`) are the ones it really reads, tried with the real tools:
// with exactly those files it succeeds and makes its artifact; without any one of them it fails or makes other
// products. And each CI mock holds what its attestor needs: the real witness refuses the run without that variable.
const WITNESS = witnessBin();
const cfg = loadConfig(undefined).witness;
const root = mkdtempSync(join(tmpdir(), "sekft-pfiles-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const EPOCH = new Date(1_700_000_000_000);

const works = (probe: string): boolean => Bun.spawnSync(["sh", "-c", `${probe} > /dev/null 2>&1`]).exitCode === 0;

/** Every file under `dir`, relative path -> content digest with digits masked (test timings, timestamps in text). */
function tree(dir: string, at = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(join(dir, at), { withFileTypes: true })) {
    const rel = at ? `${at}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of tree(dir, rel)) out.set(k, v);
    else
      out.set(
        rel,
        createHash("sha256")
          .update(
            readFileSync(join(dir, rel))
              .toString("latin1")
              .replace(/[0-9]+/g, "0"),
          )
          .digest("hex"),
      );
  }
  return out;
}

let runs = 0;
/** Runs `cmd` in a fresh directory holding `files` of its project (mtimes fixed): its exit code and what it made. */
function run(cmd: CommandConfig, files: string[]): { code: number; products: Map<string, string> } {
  const project = cfg.projects.find((p) => p.name === cmd.project)!;
  const dir = join(root, `${cmd.name}-${runs++}`);
  mkdirSync(dir);
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), project.files[f]!);
  }
  const fix = (p: string): void => {
    if (statSync(p).isDirectory()) for (const e of readdirSync(p)) fix(join(p, e));
    utimesSync(p, EPOCH, EPOCH);
  };
  fix(dir);
  const env = { ...process.env, SOURCE_DATE_EPOCH: "1700000000" };
  const code = Bun.spawnSync(["sh", "-c", cmd.run], { cwd: dir, env, stdout: "ignore", stderr: "ignore" }).exitCode;
  const products = tree(dir);
  for (const f of files) products.delete(f);
  return { code, products };
}

const same = (a: Map<string, string>, b: Map<string, string>, keys: string[]): boolean => keys.every((k) => a.get(k) === b.get(k));

for (const cmd of cfg.commands) {
  testWith(
    works(cmd.probe),
    `${cmd.name} reads every file it names, and needs no other`,
    () => {
      const files = cmd.files!;
      const full = run(cmd, files);
      expect(full.code, `${cmd.name} with ${files.join(" ")}`).toBe(0);
      expect(full.products.has(cmd.artifact), `${cmd.name} made ${cmd.artifact}`).toBe(true);
      // What two runs of the same input agree on (a jar's entry times do not): only that can tell a file was read.
      const again = run(cmd, files);
      const stable = [...full.products.keys()].filter((k) => again.products.get(k) === full.products.get(k));
      for (const f of files) {
        const without = run(
          cmd,
          files.filter((x) => x !== f),
        );
        const names = (m: Map<string, string>) => [...m.keys()].sort().join(" ");
        const changed = without.code !== 0 || names(without.products) !== names(full.products) || !same(without.products, full.products, stable);
        expect(changed, `${cmd.name} ran the same without ${f}: it does not read it`).toBe(true);
      }
    },
    120_000,
  );
}

/** The variable without which witness says the run is not in that CI's job. */
const REQUIRED: Record<string, string> = { gitlab: "GITLAB_CI", jenkins: "JENKINS_URL", "aws-codebuild": "CODEBUILD_BUILD_ID" };

testWith(Boolean(WITNESS), "each CI mock holds the variable its attestor needs, and witness refuses without it", () => {
  const dir = join(root, "ci");
  mkdirSync(dir);
  expect(Bun.spawnSync(["openssl", "genpkey", "-algorithm", "ed25519", "-out", join(dir, "k.key")]).exitCode).toBe(0);
  for (const a of cfg.attestors.filter((x) => x.ci)) {
    const mock = cfg.ci_mocks[a.ci!]!;
    const needed = REQUIRED[a.name]!;
    expect(Object.keys(mock), a.name).toContain(needed);
    const attest = (env: Record<string, string>) =>
      Bun.spawnSync([WITNESS!, "run", "-s", "s", "-k", "k.key", "-o", `${a.name}.json`, "-a", a.name, "--", "true"], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, ...env },
      });
    expect(attest(mock).exitCode, `${a.name} with its mock`).toBe(0);
    const { [needed]: _, ...rest } = mock;
    const refused = attest(rest);
    expect(refused.exitCode, `${a.name} without ${needed}`).not.toBe(0);
    // "not in a gitlab ci job", "not running in AWS CodeBuild environment, CODEBUILD_BUILD_ID not found"
    expect(refused.stderr.toString() + refused.stdout.toString()).toMatch(new RegExp(`attestor ${a.name} failed: not (?:running )?in `));
  }
});

testWith(true, "every other CI mock variable is one a question or rule reads back", () => {
  const rules = cfg.rego.map((r) => `${r.mutation.find}\n${r.prelude.join("\n")}`).join("\n");
  const inspect = readFileSync(join(import.meta.dir, "../../src/witness/inspect.ts"), "utf8");
  for (const [ci, vars] of Object.entries(cfg.ci_mocks)) {
    for (const v of Object.keys(vars)) {
      if (Object.values(REQUIRED).includes(v)) continue;
      expect(rules.includes(`export ${v}=`) || inspect.includes(`"${v}"`), `${ci}: ${v} is exported but nothing reads it`).toBe(true);
    }
  }
});

testWith(
  Boolean(WITNESS),
  "with the trimmed mocks, each CI attestor's example runs, verifies and its Rego mutants are refused",
  async () => {
    const ci = cfg.attestors.filter((a) => a.ci);
    const names = new Set(ci.map((a) => a.name));
    const todo = new Set([...ci.map(attestorId), ...cfg.rego.filter((r) => names.has(r.attestor)).map((r) => `rule:${r.name}`)]);
    const fast = new Set(["cc", "tarball", "checksums", "sh-build"]);
    const specs: ExampleSpec[] = [];
    for (const { spec } of sampleSpecs({ ...dimsOf(cfg), commands: cfg.commands.filter((c) => fast.has(c.name)) }, 5)) {
      const brings = [...spec.attestors, ...spec.rules.map((r) => `rule:${r}`)].filter((x) => todo.has(x));
      if (!brings.length) continue;
      for (const x of brings) todo.delete(x);
      specs.push(spec);
      if (!todo.size) break;
    }
    expect([...todo]).toEqual([]);
    for (const spec of specs) {
      const proof = await proveExample(renderExample(spec, cfg, fixtureCatalog()), { path: scriptPath(WITNESS!, process.env.PATH ?? ""), timeoutMs: 120_000 });
      expect(proof.ok, `${spec.attestors.join(",")} ${spec.rules.join(",")}: ${proof.ok ? "" : `${proof.reason}\n${proof.stderrTail}`}`).toBe(true);
    }
  },
  600_000,
);
