import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { loadConfig } from "../../src/config/load.ts";
import { brokenPrecheck, quoteBrokenError } from "../../src/witness/broken.ts";
import { draftExample, familyShapers, proofHooksOf } from "../../src/witness/families.ts";
import { proveExample } from "../../src/witness/prove.ts";
import { ERROR_MARK, finish } from "../../src/witness/render.ts";
import { extractScript, type ScriptEnv } from "../../src/witness/script.ts";
import { FAMILIES, sampleSpecs, type ExampleSpec } from "../../src/witness/spec.ts";
import { troubleshoot } from "../../src/witness/troubleshoot.ts";
import { dimsOf, fixtureCatalog } from "../helpers/witness.ts";

const cfg = loadConfig(undefined).witness;

function specs(n: number): ExampleSpec[] {
  const families = Object.entries(cfg.families).map(([name, f]) => ({ name, weight: (f as { weight: number }).weight, questions: 1 })) as never;
  const out: ExampleSpec[] = [];
  for (const { spec } of sampleSpecs({ ...dimsOf(cfg), families }, 5, undefined, familyShapers(cfg))) {
    out.push(spec);
    if (out.length >= n) break;
  }
  return out;
}

test("prove.ts and gen.ts import no family's module and name no family: a family proves its extras through hooks", () => {
  const modules = ["troubleshoot", "policy", "inspect", "pipeline", "broken"];
  for (const file of ["src/witness/prove.ts", "src/witness/gen.ts"]) {
    const text = readFileSync(file, "utf8");
    for (const m of modules) expect(text, `${file} imports ${m}`).not.toContain(`from "./${m}.ts"`);
    for (const f of FAMILIES.filter((f) => f !== "attest")) expect(text, `${file} names ${f}`).not.toContain(`"${f}"`);
    expect(text).not.toContain("ERROR_MARK");
  }
  expect(proofHooksOf({ family: "troubleshoot" } as ExampleSpec)?.extraProof).toBeDefined();
  expect(proofHooksOf({} as ExampleSpec)).toBeUndefined();
});

test("a family's precheck refuses before anything runs; without the hook the same example would run", async () => {
  const ex = {
    system: "",
    question: "",
    answer: "```sh\nwitness verify -p policy.signed.json\n```\n",
    mutations: [],
    broken: { cause: "c", expect: "x", script: "" },
  };
  let ran = 0;
  const env = {
    path: "/nonexistent",
    timeoutMs: 5000,
    runner: async () => {
      ran += 1;
      throw new Error("stop here");
    },
  } as unknown as ScriptEnv;
  const proof = await proveExample(ex, env, troubleshoot);
  expect(proof).toMatchObject({ ok: false, kind: "cause-target", cpuSeconds: 0 });
  expect(brokenPrecheck({ ...ex, broken: { ...ex.broken, script: "x" } })).toBeUndefined();
  expect(ran).toBe(0);
  await proveExample(ex, env).catch(() => undefined);
  expect(ran).toBe(1);
});

test("settle: the question quotes the error the broken run printed", () => {
  const ex = { system: "", question: `It says:\n${ERROR_MARK}\nWhy?`, answer: "", mutations: [] };
  const error = "error: $& and $1 stay as printed";
  const broken = { cause: "c", failedAs: "x", failingCommand: "witness verify", exitCode: 1, error };
  expect(quoteBrokenError(ex, { broken }).question).toBe(`It says:\n${error}\nWhy?`);
  expect(quoteBrokenError(ex, {}).question).toBe(ex.question);
});

test("the layout names, for every section with lines, exactly the script lines that section wrote", () => {
  const seen = new Set<string>();
  for (const spec of specs(150)) {
    const draft = draftExample(spec, cfg, fixtureCatalog());
    const ex = finish(draft);
    const lines = extractScript(ex.answer).split("\n");
    const withLines = draft.sections.filter((s) => s.lines);
    expect(ex.layout!.map((s) => s.id)).toEqual(withLines.map((s) => s.id));
    for (const [i, span] of ex.layout!.entries()) expect(lines.slice(span.from, span.to).join("\n")).toBe(withLines[i]!.lines!.join("\n"));
    expect(ex.layout!.at(-1)!.to).toBe(lines.length - 1);
    seen.add(spec.family ?? "attest");
  }
  expect(seen.size).toBe(FAMILIES.length);
});
