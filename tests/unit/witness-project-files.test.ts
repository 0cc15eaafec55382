import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { WitnessSchema } from "../../src/config/witness-schema.ts";
import { familyPlugin, familyShapers, renderExample } from "../../src/witness/families.ts";
import { projectPackages } from "../../src/witness/manifests.ts";
import { usedFiles } from "../../src/witness/project-files.ts";
import { resolveExample } from "../../src/witness/render.ts";
import { extractScript } from "../../src/witness/script.ts";
import { FAMILIES, familyOf, sampleSpecs, type ExampleSpec } from "../../src/witness/spec.ts";
import { dimsOf, fixtureCatalog } from "../helpers/witness.ts";

// A project holds only what its example uses (issue 21, item 2): the script writes a project file only when the
// command reads it (its configured `files`) or an attestor does (the lockfile, an SBOM's manifest, maven's pom.xml),
// and never writes one twice. Checked on rendered answers of every family, without running anything.
const cfg = loadConfig(undefined).witness;
const catalog = fixtureCatalog();
const families = FAMILIES.map((name) => ({
  name,
  weight: cfg.families[name]?.weight ?? 0,
  questions: name === "attest" ? cfg.questions.length : (familyPlugin(name)?.questions(cfg).length ?? 0),
}));

function take(n: number, seed: number): ExampleSpec[] {
  const out: ExampleSpec[] = [];
  for (const { spec } of sampleSpecs({ ...dimsOf(cfg), families }, seed, undefined, familyShapers(cfg))) {
    out.push(spec);
    if (out.length >= n) break;
  }
  return out;
}

/** Every project file the script writes under repo/ws (a here-document, or `: >` for an empty one), repeats included. */
const written = (script: string): string[] => [...script.matchAll(/^(?:cat > repo\/ws\/(\S+) <<|: > repo\/ws\/(\S+)$)/gm)].map((m) => (m[1] ?? m[2])!);

/** What the spec's command and attestors read, from the configuration (not from `usedFiles`). */
function readers(spec: ExampleSpec): Map<string, string> {
  const { cmd, setups } = resolveExample(spec, cfg);
  const project = cfg.projects.find((p) => p.name === cmd.project)!;
  const by = new Map<string, string>();
  for (const f of cmd.files ?? []) by.set(f, cmd.name);
  if (setups.has("lockfile") && project.lockfile) by.set(project.lockfile, "lockfiles");
  if (setups.has("sbom-spdx") || setups.has("sbom-cyclonedx")) for (const f of projectPackages(project).from) by.set(f, "sbom");
  if (setups.has("maven")) by.set("pom.xml", "maven");
  return by;
}

test("every default command names the files it reads", () => {
  for (const c of cfg.commands) expect(c.files?.length ?? 0, c.name).toBeGreaterThan(0);
});

test("every project file an answer writes is read by its command or an attestor, and none is written twice", () => {
  const specs = [...take(200, 1), ...take(200, 7)];
  const seen = new Set<string>();
  let checked = 0;
  for (const spec of specs) {
    const script = extractScript(renderExample(spec, cfg, catalog).answer);
    const files = written(script);
    const read = readers(spec);
    const label = `${familyOf(spec)} ${spec.command} ${spec.attestors.join(",")}`;
    expect(new Set(files).size, `${label}: a file written twice`).toBe(files.length);
    for (const f of files) expect(read.has(f), `${label}: writes ${f}, which nothing reads`).toBe(true);
    // and what the command reads is there
    for (const f of resolveExample(spec, cfg).cmd.files ?? []) expect(files, label).toContain(f);
    seen.add(familyOf(spec));
    checked++;
  }
  expect(checked).toBe(400);
  expect([...seen].sort()).toEqual([...FAMILIES].filter((f) => (cfg.families[f]?.weight ?? 0) > 0).sort());
}, 60_000);

test("a Go build writes no test file and a docs gzip only the page it compresses", () => {
  const project = cfg.projects.find((p) => p.name === "go-hello")!;
  const cmd = (n: string) => cfg.commands.find((c) => c.name === n)!;
  expect(usedFiles(project, cmd("go-build"), new Set())).toEqual(["go.mod", "main.go"]);
  expect(usedFiles(project, cmd("go-build"), new Set(["lockfile"]))).toEqual(["go.mod", "go.sum", "main.go"]);
  expect(usedFiles(project, cmd("go-test-report"), new Set())).toContain("main_test.go");
  const docs = cfg.projects.find((p) => p.name === "docs-site")!;
  expect(usedFiles(docs, cmd("gzip"), new Set())).toEqual(["docs/guide.md"]);
  // a command without `files` (an older config) keeps every file
  expect(usedFiles(docs, { ...cmd("gzip"), files: undefined }, new Set())).toEqual(Object.keys(docs.files));
});

test("the schema refuses a command naming a file its project lacks, or one file twice", () => {
  const issues = (edit: (c: Record<string, unknown>) => void): string => {
    const w = JSON.parse(JSON.stringify(cfg)) as { commands: Record<string, unknown>[] };
    edit(w.commands.find((c) => c.name === "go-build")!);
    const r = WitnessSchema.safeParse(w);
    return r.success ? "" : r.error.issues.map((i) => i.message).join("; ");
  };
  expect(issues((c) => (c.files = ["go.mod", "pom.xml"]))).toMatch(/go-build: project go-hello has no file pom.xml/);
  expect(issues((c) => (c.files = ["main.go", "main.go"]))).toMatch(/go-build: a file is named twice/);
  expect(issues(() => {})).toBe("");
});
