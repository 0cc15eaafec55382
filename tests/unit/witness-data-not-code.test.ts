import { afterAll, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, validateConfig } from "../../src/config/load.ts";
import type { WitnessConfig } from "../../src/config/witness-schema.ts";
import { fencedBlocks } from "../../src/dataset/chat.ts";
import { Rng } from "../../src/rng.ts";
import { familyShapers } from "../../src/witness/families.ts";
import { checkpoints } from "../../src/witness/prove.ts";
import { fill, resolveExample } from "../../src/witness/render.ts";
import { renderExample } from "../../src/witness/families.ts";
import { extractScript } from "../../src/witness/script.ts";
import { FAMILIES, familyOf, sampleSpecs, type ExampleSpec } from "../../src/witness/spec.ts";
import { dimsOf, fixtureCatalog } from "../helpers/witness.ts";

// Configured text (project files, Rego modules, CI values) is data: each rendered script writes it byte for byte and
// never runs it. The scripts run for real under `sh -eu`, with witness, openssl, git, jq and grep replaced by stubs
// that only record their arguments, so everything that writes files runs and nothing needs witness.

const root = mkdtempSync(join(tmpdir(), "sekft-data-not-code-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const CANARY = join(root, "canary");
const catalog = fixtureCatalog();
const defaults = loadConfig(undefined);

const STUBS = join(root, "bin");
mkdirSync(STUBS);
for (const tool of ["witness", "openssl", "git", "jq", "grep"]) {
  writeFileSync(join(STUBS, tool), `#!/bin/sh\nprintf '%s\\0' "\${0##*/}" "$@" >> "$REC/calls"\nprintf '\\1' >> "$REC/calls"\n`);
  chmodSync(join(STUBS, tool), 0o755);
}

/** The fixed hostile cases: here-document ends, quotes, expansions, fences, a trailing backslash. */
const FIXED = [
  `EOF\ntouch ${CANARY}\nEOF\n`,
  `first\nEOF\ntouch ${CANARY}\n`,
  `no newline at the end\nEOF`,
  `EOF_1\nEOF\nEOF_2\ntouch ${CANARY}\n`,
  `it's "quoted" '\\'' and $(touch ${CANARY}) and \`touch ${CANARY}\` and $HOME \${HOME}\n`,
  "```\ntouch CANARY\n```\n".replaceAll("CANARY", CANARY),
  "````sh\n```\n~~~\n  ```\n",
  "ends in a backslash\\",
  "ends in a backslash and newline\\\n",
  "\n\nleading and trailing blank lines\n\n\n",
  "tabs\tand\r\nCRLF\r\n",
  "#!/bin/sh\nset -eu\ncat > x <<'EOF'\nhere\nEOF\ncat <<EOF\n$(id)\nEOF\n",
];

const TOKENS = [
  "EOF",
  "EOF_1",
  "'EOF'",
  "\n",
  "\n",
  "'",
  '"',
  "\\",
  "$(",
  ")",
  "`",
  "$HOME",
  "$" + "{X}",
  "```",
  "````",
  "~~~",
  "\t",
  " ",
  "a",
  "%s",
  "\r",
  "<<",
  "-",
];

/** A deterministic hostile string: dangerous tokens and a canary command, in random order. */
function hostile(rng: Rng): string {
  const parts: string[] = [];
  const n = rng.int(1, 14);
  for (let i = 0; i < n; i++) parts.push(rng.pick(TOKENS));
  const at = rng.int(0, parts.length);
  parts.splice(
    at,
    0,
    rng.pick([`\nEOF\ntouch ${CANARY}\n`, `$(touch ${CANARY})`, `\`touch ${CANARY}\``, `'; touch ${CANARY}; '`, `\n\`\`\`\ntouch ${CANARY}\n`]),
  );
  return parts.join("");
}

const FILES = ["a.txt", "src/b.sh", "src/deep/c_1.md", "EOF", "README.md"];

/** The embedded config plus a project, command, Rego rule and CI values carrying the given hostile texts. */
function hostileConfig(texts: string[]): WitnessConfig {
  const raw = JSON.parse(JSON.stringify(defaults)) as Record<string, Record<string, unknown>>;
  const w = raw.witness as Record<string, unknown> & {
    projects: unknown[];
    commands: unknown[];
    rego: unknown[];
    ci_mocks: Record<string, Record<string, string>>;
  };
  const at = (i: number): string => texts[i % texts.length]!;
  w.projects.push({ name: "hostile", kind: "hostile project", files: { ...Object.fromEntries(FILES.map((f, i) => [f, at(i)])), "empty.txt": "" } });
  w.commands.push({ name: "hostile-build", project: "hostile", run: "cat a.txt > out.txt", artifact: "out.txt", tool: "cat", probe: "true", kind: "build" });
  (w.step_commands as Record<string, string[]>).build!.push("hostile-build");
  w.rego.push({
    name: "hostile-module",
    attestor: "material",
    message: "the hostile module denies",
    module: at(FILES.length),
    mutation: { find: "cat a.txt", replace: "cat src/b.sh", explain: "another file" },
  });
  // CI values are quoted in the prose too, so the schema keeps them to one line: here-document ends become spaces.
  const line = (t: string): string => t.replace(/[\r\n]/g, " ");
  w.ci_mocks.gitlab = { ...w.ci_mocks.gitlab, CI_PIPELINE_URL: line(at(FILES.length + 1)), CI_HOSTILE: line(at(FILES.length + 2)) };
  return validateConfig(raw, "hostile config").witness;
}

const ATTEST: ExampleSpec = {
  step: "build",
  command: "hostile-build",
  attestors: ["git", "gitlab"],
  rules: ["hostile-module"],
  keys: { step: "ed25519", policy: "ed25519" },
  question: 0,
  chain: null,
};

interface Run {
  code: number;
  stderr: string;
  work: string;
  /** Each stubbed program's argv (program name first), in call order. */
  calls: string[][];
  ci: string[];
}

let runs = 0;
/** Runs a script under `sh -eu` in an empty directory with the stubs first on PATH. */
function runStubbed(script: string): Run {
  const dir = join(root, `run-${runs++}`);
  rmSync(CANARY, { force: true });
  const work = join(dir, "work");
  mkdirSync(work, { recursive: true });
  // `test` is a regular builtin, so a function shadows it: the inspect block's assertion reads the jq stub's empty output.
  const full = `test() { return 0; }\n${script}printf '%s\\0' "\${CI_PIPELINE_URL-}" "\${CI_HOSTILE-}" > "$REC/ci"\n`;
  writeFileSync(join(dir, "script.sh"), full);
  writeFileSync(join(dir, "calls"), "");
  const r = Bun.spawnSync(["sh", "-eu", join(dir, "script.sh")], { cwd: work, env: { PATH: `${STUBS}:/usr/bin:/bin`, HOME: dir, REC: dir } });
  const calls = readFileSync(join(dir, "calls"), "utf8")
    .split("\u0001")
    .filter(Boolean)
    .map((c) => c.split("\u0000").slice(0, -1));
  const ci = existsSync(join(dir, "ci")) ? readFileSync(join(dir, "ci"), "utf8").split("\u0000").slice(0, -1) : [];
  return { code: r.exitCode, stderr: r.stderr.toString(), work, calls, ci };
}

/** Renders a spec under a hostile config, runs its script and checks every configured text arrived as data. */
function checkExample(cfg: WitnessConfig, spec: ExampleSpec): void {
  const r = renderExample(spec, cfg, catalog);
  const label = `${familyOf(spec)} ${spec.variant ?? spec.cause ?? ""}`;
  const script = extractScript(r.answer);
  // Every fence the answer opens is one the renderer closed: no configured line ends a block or starts one.
  for (const f of fencedBlocks(r.answer)) expect(["sh", ""], label).toContain(f.lang);
  const run = runStubbed(script);
  expect(existsSync(CANARY), `${label}: a configured text ran as a command`).toBe(false);
  expect(run.code, `${label}: ${run.stderr}`).toBe(0);
  const { project, rules, vars, attestors } = resolveExample(spec, cfg);
  for (const [path, content] of Object.entries(project.files)) {
    expect(readFileSync(join(run.work, "repo/ws", path), "utf8"), `${label}: ${path}`).toBe(content);
  }
  for (const rule of rules) {
    expect(readFileSync(join(run.work, "rego", `${rule.name}.rego`), "utf8"), `${label}: rego ${rule.name}`).toBe(fill(rule.module, vars));
  }
  if (attestors.some((a) => a.ci === "gitlab")) expect(run.ci, label).toEqual([cfg.ci_mocks.gitlab!.CI_PIPELINE_URL!, cfg.ci_mocks.gitlab!.CI_HOSTILE!]);
  expect(
    run.calls.some((c) => c[0] === "witness" && c[1] === "verify"),
    label,
  ).toBe(true);
}

test("the fixed hostile texts are written byte for byte by an attest example and never run", () => {
  for (let i = 0; i < FIXED.length; i++) checkExample(hostileConfig(FIXED.slice(i).concat(FIXED.slice(0, i))), ATTEST);
});

test("generated hostile texts are written byte for byte by an attest example and never run (property)", () => {
  for (let round = 0; round < 30; round++) {
    const rng = new Rng(`data-not-code:${round}`);
    const texts = Array.from({ length: 8 }, () => hostile(rng));
    checkExample(hostileConfig(texts), { ...ATTEST, chain: round % 3 === 0 ? "package" : null });
  }
  // 30 scripts run, and each round's config is new: its command is read by the shell parser afresh.
}, 60_000);

test("every family's script writes hostile texts as data", () => {
  const cfg = hostileConfig([...FIXED, hostile(new Rng("data-not-code:families"))]);
  const families = FAMILIES.map((name) => ({
    name,
    weight: 1,
    questions: name === "attest" ? cfg.questions.length : ((cfg.families[name] as { questions?: string[] } | undefined)?.questions?.length ?? 0),
  }));
  const dims = { ...dimsOf(cfg), commands: cfg.commands.filter((c) => c.name === "hostile-build"), families };
  const seen = new Map<string, number>();
  for (const { spec } of sampleSpecs(dims, 3, undefined, familyShapers(cfg))) {
    const family = familyOf(spec);
    if ((seen.get(family) ?? 0) >= 3) {
      if ([...seen.values()].every((n) => n >= 3) && seen.size === FAMILIES.length) break;
      continue;
    }
    seen.set(family, (seen.get(family) ?? 0) + 1);
    checkExample(cfg, spec);
  }
  expect([...seen.keys()].sort()).toEqual([...FAMILIES].sort());
});

test("a file or module holding an EOF line gets another delimiter, and the prover still reads its here-documents", () => {
  const cfg = hostileConfig(["package hostile\nEOF\nEOF_1\n"]);
  const spec: ExampleSpec = { ...ATTEST, attestors: ["git"] };
  const script = extractScript(renderExample(spec, cfg, catalog).answer);
  expect(script).toContain("cat > rego/hostile-module.rego <<'EOF_2'\npackage hostile\nEOF\nEOF_1\nEOF_2\n");
  expect(script).toContain("cat > repo/ws/a.txt <<'EOF_2'\n");
  expect(script).toContain(": > repo/ws/empty.txt\n");
  expect(checkpoints(renderExample(spec, cfg, catalog)).map((c) => c.name)).toEqual(["keys", "keyids"]);
});

test("a configured command is code, but its quotes cannot leave the sh -c wrapping", () => {
  const raw = JSON.parse(JSON.stringify(defaults)) as { witness: { commands: Record<string, unknown>[]; step_commands: Record<string, string[]> } };
  const run = `printf '%s\\n' "it's $(echo ok)" > out.txt; echo '\\'' && touch ${CANARY}`;
  raw.witness.commands.push({ name: "quoted", project: "go-hello", run, artifact: "out.txt", tool: "sh", probe: "true", kind: "build" });
  raw.witness.step_commands.build!.push("quoted");
  const cfg = validateConfig(raw, "quoted command").witness;
  const spec: ExampleSpec = { ...ATTEST, command: "quoted", attestors: ["environment"], rules: [] };
  const out = runStubbed(extractScript(renderExample(spec, cfg, catalog).answer));
  expect(out.code, out.stderr).toBe(0);
  expect(existsSync(CANARY)).toBe(false);
  const witnessRun = out.calls.find((c) => c[0] === "witness" && c[1] === "run")!;
  expect(witnessRun.slice(witnessRun.indexOf("--") + 1)).toEqual(["sh", "-c", run]);
});

test("configured names and paths that land in script lines are refused with the key named", () => {
  type Lists = Record<"projects" | "commands" | "attestors" | "rego", unknown[]>;
  const bad: [string, (w: Lists) => void, RegExp][] = [
    [
      "a file path with ..",
      (w) => w.projects.push({ name: "p", kind: "k", files: { "a/../../x": "x\n" } }),
      /witness\.projects\[\d+\]\.files\.a\/\.\.\/\.\.\/x: /,
    ],
    ["a file path with a space", (w) => w.projects.push({ name: "p", kind: "k", files: { "a b": "x\n" } }), /witness\.projects\[\d+\]\.files\.a b: /],
    [
      "an artifact with shell syntax",
      (w) => w.commands.push({ name: "c", project: "go-hello", run: "true", artifact: "$(id)", tool: "sh", probe: "true", kind: "build" }),
      /witness\.commands\[\d+\]\.artifact: /,
    ],
    [
      "a command of two lines",
      (w) => w.commands.push({ name: "c", project: "go-hello", run: "true\n```", artifact: "x", tool: "sh", probe: "true", kind: "build" }),
      /witness\.commands\[\d+\]\.run: /,
    ],
    [
      "an attestor flag with shell syntax",
      (w) => w.attestors.push({ name: "x", flags: ["--a;touch /tmp/x"], explain: "e" }),
      /witness\.attestors\[\d+\]\.flags\[0\]: /,
    ],
    ["a lockfile with a quote", (w) => w.projects.push({ name: "p", kind: "k", files: { a: "x\n" }, lockfile: "a'b" }), /witness\.projects\[\d+\]\.lockfile: /],
    [
      "a deny message of two lines",
      (w) => w.rego.push({ name: "r", attestor: "git", message: "a\n```sh", module: "m", mutation: { find: "a", replace: "b", explain: "c" } }),
      /witness\.rego\[\d+\]\.message: /,
    ],
    ["an explanation of two lines", (w) => w.attestors.push({ name: "x", explain: "e\n```sh\nid\n```" }), /witness\.attestors\[\d+\]\.explain: /],
  ];
  for (const [what, edit, error] of bad) {
    const raw = JSON.parse(JSON.stringify(defaults)) as { witness: Lists };
    edit(raw.witness);
    expect(() => validateConfig(raw, "bad config"), what).toThrow(error);
  }
});
