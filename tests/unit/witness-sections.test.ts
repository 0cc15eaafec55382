import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { parseShell } from "../../src/proc/shell.ts";
import { draftExample, familyShapers, renderExample } from "../../src/witness/families.ts";
import { finish } from "../../src/witness/render.ts";
import { POSIX_UTILITIES, prerequisites, programsOf, renderSections, statedPrerequisites } from "../../src/witness/sections.ts";
import { FAMILIES, sampleSpecs } from "../../src/witness/spec.ts";
import { dimsOf, fixtureCatalog } from "../helpers/witness.ts";

const cfg = loadConfig(undefined).witness;
const catalog = fixtureCatalog();
const families = FAMILIES.map((name) => ({
  name,
  weight: cfg.families[name]?.weight ?? 0,
  questions: name === "attest" ? cfg.questions.length : (cfg.families[name]?.questions.length ?? 0),
}));
const drafts = [
  ...(function* () {
    let n = 0;
    for (const { spec } of sampleSpecs({ ...dimsOf(cfg), families }, 3, undefined, familyShapers(cfg))) {
      yield { spec, d: draftExample(spec, cfg, catalog) };
      if (++n >= 300) return;
    }
  })(),
];

const memo = new Map<string, Set<string>>();
const BUILTINS = new Set(["cd", "export", "set", ":", ".", "exit", "unset", "command"]);
/** What a program runs through the PATH by itself, as the e2e test's restricted PATH shows: stated here apart from `programsOf`. */
const IMPLIED: Record<string, string[]> = {
  npm: ["node"],
  cmake: ["make", "cc", "as", "ld"],
  make: ["cc", "as", "ld"],
  cargo: ["rustc", "cc", "as", "ld"],
  cc: ["as", "ld"],
};

/**
 * The programs shell text runs beyond POSIX utilities, read independently of `programsOf`: every simple command of the
 * parsed text (`ParsedScript.commands`), the argv after `witness run … --` and `env`, `sh -c` bodies and `sh FILE`.
 */
function called(text: string, files: Record<string, string>): Set<string> {
  const key = `${JSON.stringify(files)}\u0000${text}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const out = new Set<string>();
  memo.set(key, out);
  const argv = (words: (string | undefined)[]): void => {
    let w = words;
    while (w[0] === "env") {
      w = w.slice(1);
      while (w[0]?.includes("=")) w = w.slice(1);
    }
    const first = w[0];
    if (first === undefined) return;
    const name = first.split("/").at(-1)!;
    if (!first.includes("/") && !POSIX_UTILITIES.has(name) && !BUILTINS.has(name)) out.add(name);
    for (const p of IMPLIED[name] ?? []) out.add(p);
    if (name === "tar" && /z/.test(w[1] ?? "")) out.add("gzip");
    if (name === "sh" && w[1] === "-c") walk(w[2]!);
    else if (name === "sh" && w[1] && files[w[1]]) walk(files[w[1]]!);
    if (name === "witness" && w[1] === "run") {
      if (w.includes("-a") && w[w.indexOf("-a") + 1]?.split(",").includes("system-packages")) out.add("dpkg-query");
      argv(w.slice(w.indexOf("--") + 1));
    }
  };
  const walk = (t: string): void => {
    for (const c of parseShell(t).commands()) argv(c.words);
  };
  walk(text);
  return out;
}

test("the sample covers every family", () => {
  expect(new Set(drafts.map(({ spec }) => spec.family ?? "attest"))).toEqual(new Set(FAMILIES));
});

test("every section's declared runs are the programs its lines really call (beyond POSIX utilities and builtins)", () => {
  let sections = 0;
  for (const { spec, d } of drafts) {
    const project = cfg.projects.find((p) => p.name === cfg.commands.find((c) => c.name === spec.command)!.project)!;
    for (const s of d.sections) {
      sections += 1;
      const actual = s.lines ? called(s.lines.join("\n"), project.files) : new Set<string>();
      expect(new Set(s.runs), `${spec.family} ${spec.command} ${s.id}: ${s.lines?.join("\n")}`).toEqual(actual);
    }
  }
  expect(sections).toBeGreaterThan(3000);
}, 300_000);

test("the answer's first sentence names exactly the union of its sections' runs, once", () => {
  const seen = new Set<string>();
  for (const { spec, d } of drafts) {
    const answer = finish(d).answer;
    const said = statedPrerequisites(answer);
    expect(said.length, answer.slice(0, 300)).toBe(1);
    const named = said[0]!;
    const union = new Set(d.sections.flatMap((s) => s.runs));
    expect(new Set(named), `${spec.family} ${spec.command}`).toEqual(union);
    expect(named).toEqual(prerequisites(d.sections));
    expect(named[0]).toBe("witness");
    for (const n of named) seen.add(n);
    // The intro opens the answer, except in troubleshoot, whose diagnosis comes first.
    if (spec.family !== "troubleshoot") expect(answer).toStartWith("You need `witness`");
  }
  // The configured commands' own tools are stated (not just witness, openssl and git).
  for (const tool of ["go", "node", "npm", "python3", "jq", "make", "cc", "tar"]) expect(seen.has(tool), tool).toBe(true);
});

test("renderExample is the draft's sections rendered last, and nothing else", () => {
  for (const { spec, d } of drafts.slice(0, 40)) {
    expect(renderExample(spec, cfg, catalog).answer).toBe(renderSections(d.sections));
  }
});

test("programsOf reads through sh -c, witness run --, env, lists, substitutions, Makefiles and project scripts, not here-document bodies", () => {
  const files = { Makefile: "hello: hello.c\n\t$(CC) -o hello hello.c\n", "build.sh": "set -eu\nzip -q out.zip x\n" };
  expect(programsOf("(cd w && witness run -s b -k k -o o -- sh -c 'go build && jq . x > y')")).toEqual(["witness", "go", "jq"]);
  expect(programsOf("env A=1 npm pack")).toEqual(["npm", "node"]);
  expect(programsOf("tar -czf a.tgz b && tar -tf a.tar")).toEqual(["tar", "gzip"]);
  expect(programsOf("tar -cf a.tar b")).toEqual(["tar"]);
  expect(programsOf("x=$(openssl dgst -r f | cut -d' ' -f1)")).toEqual(["openssl"]);
  expect(programsOf("make hello", files)).toEqual(["make", "cc", "as", "ld"]);
  expect(programsOf("sh build.sh", files)).toEqual(["zip"]);
  expect(programsOf("cat > f <<'EOF'\ngo build\nEOF\n./hello && /bin/sh -c 'tar -cf a b'")).toEqual(["tar"]);
  expect(programsOf("! grep -q a b || mkdir -p c; printf '%s' x | wc -l")).toEqual([]);
});
