import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { familyShapers, renderExample } from "../../src/witness/families.ts";
import { projectPackages } from "../../src/witness/manifests.ts";
import { stagedFiles } from "../../src/witness/setups.ts";
import { FAMILIES, sampleSpecs } from "../../src/witness/spec.ts";
import { dimsOf, fixtureCatalog } from "../helpers/witness.ts";

const cfg = loadConfig(undefined).witness;
const project = (name: string) => cfg.projects.find((p) => p.name === name)!;
const SETUPS = ["sbom-spdx", "sbom-cyclonedx", "sarif", "vex", "secret", "docker", "oci", "k8s"];

const examples = (() => {
  const families = FAMILIES.map((name) => ({
    name,
    weight: 1,
    questions: name === "attest" ? cfg.questions.length : (cfg.families[name]?.questions.length ?? 0),
  }));
  const out = [];
  for (const { spec } of sampleSpecs({ ...dimsOf(cfg), families }, 5, undefined, familyShapers(cfg))) {
    out.push({ spec, r: renderExample(spec, cfg, fixtureCatalog()) });
    if (out.length >= 400) break;
  }
  return out;
})();

test("every staged file says where it comes from; only what a tool here makes is `made`", () => {
  for (const setup of SETUPS) {
    for (const f of stagedFiles(setup, project("node-greet"))) {
      expect(f.intro.length, setup).toBeGreaterThan(20);
      if (f.origin === "staged") expect(f.intro, setup).toMatch(/staged by hand|written by hand/);
      else
        expect(
          f.compute?.some((l) => /\btar -c/.test(l)),
          setup,
        ).toBe(true);
    }
  }
  expect(stagedFiles("oci", project("node-greet"))[0]!.origin).toBe("made");
  expect(stagedFiles("sbom-spdx", project("node-greet"))[0]!.origin).toBe("staged");
});

test("no answer calls a staged report the step's own output", () => {
  let withReports = 0;
  for (const { r } of examples) {
    expect(r.answer).not.toMatch(/the step produced|step publishes|reports it publishes|computed, not pasted\)/);
    if (/\*\*(Staged inputs?|Inputs? for the attestors)\.\*\*/.test(r.answer)) withReports += 1;
  }
  expect(withReports).toBeGreaterThan(20);
});

test("the maven attestor and a pom.xml appear only with the Java project", () => {
  let maven = 0;
  for (const { spec, r } of examples) {
    const proj = cfg.commands.find((c) => c.name === spec.command)!.project;
    if (spec.attestors.includes("maven")) {
      maven += 1;
      expect(proj).toBe("java-hello");
    }
    if (r.answer.includes("repo/ws/pom.xml")) expect(proj).toBe("java-hello");
  }
  expect(maven).toBeGreaterThan(0);
});

test("an SBOM lists the project's own package, read from its manifest, never a fixed library", () => {
  expect(projectPackages(project("node-greet")).self).toEqual({ name: "greet", version: "1.0.0", license: "MIT", purl: "pkg:npm/greet@1.0.0" });
  expect(projectPackages(project("rust-hello")).self.purl).toBe("pkg:cargo/hello@0.1.0");
  expect(projectPackages(project("py-greet")).self.purl).toBe("pkg:pypi/greet@0.1.0");
  expect(projectPackages(project("go-hello")).self.name).toBe("example.com/hello");
  expect(projectPackages(project("c-cmake")).self.name).toBe("hello");
  for (const p of cfg.projects) {
    const pk = projectPackages(p);
    // Every configured project declares its license in its own files (the SBOM license rule needs one).
    expect(pk.self.license, p.name).toBe("MIT");
    expect(pk.dependencies, p.name).toEqual([]);
    for (const setup of ["sbom-spdx", "sbom-cyclonedx"]) {
      const content = stagedFiles(setup, p)[0]!.content!;
      expect(JSON.parse(content)).toBeTruthy();
      expect(content).not.toContain("zlib");
      expect(content).toContain(pk.self.purl);
    }
  }
  // A lockfile's dependencies are listed.
  const withDep = {
    ...project("node-greet"),
    files: { ...project("node-greet").files, "package-lock.json": '{"packages":{"":{"name":"greet"},"node_modules/left-pad":{"version":"1.3.0"}}}' },
  };
  expect(projectPackages(withDep).dependencies.map((d) => d.purl)).toEqual(["pkg:npm/left-pad@1.3.0"]);
  expect(stagedFiles("sbom-cyclonedx", withDep)[0]!.content).toContain('"purl": "pkg:npm/left-pad@1.3.0"');
});

test("the buildx metadata's digests are read from files the script wrote, not from a name string", () => {
  const [meta] = stagedFiles("docker", project("go-hello"));
  const script = meta!.compute!.join("\n");
  expect(script).not.toMatch(/printf '%s' "[^"]*" \| openssl dgst/);
  const dir = mkdtempSync(join(tmpdir(), "sekft-docker-meta-"));
  try {
    const r = Bun.spawnSync(["sh", "-ec", `mkdir -p reports\n${script}`], { cwd: dir, stderr: "pipe" });
    expect(r.exitCode, r.stderr.toString()).toBe(0);
    const digest = (f: string): string => new Bun.CryptoHasher("sha256").update(readFileSync(join(dir, "reports", f))).digest("hex");
    const written = JSON.parse(readFileSync(join(dir, "reports/build-metadata.json"), "utf8")) as Record<string, string>;
    expect(written["containerimage.digest"]).toBe(`sha256:${digest("image-manifest.json")}`);
    expect(written["containerimage.config.digest"]).toBe(`sha256:${digest("image-config.json")}`);
    const manifest = JSON.parse(readFileSync(join(dir, "reports/image-manifest.json"), "utf8")) as { config: { digest: string; size: number } };
    expect(manifest.config.size).toBe(readFileSync(join(dir, "reports/image-config.json")).length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("each staged file's introduction is made of sentences of a dozen words or fewer", () => {
  for (const setup of SETUPS) {
    for (const p of cfg.projects) {
      for (const f of stagedFiles(setup, p)) {
        for (const s of `\`${f.product}\` is ${f.intro}.`.split(/(?<=[.;])\s+/)) expect(s.split(/\s+/).length, `${setup}: ${s}`).toBeLessThanOrEqual(12);
      }
    }
  }
});
