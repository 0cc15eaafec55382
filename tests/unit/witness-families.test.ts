import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { applyMutation, checkpoints, shellLines } from "../../src/witness/prove.ts";
import type { SectionId } from "../../src/witness/sections.ts";
import { familyShapers, questionTemplates } from "../../src/witness/families.ts";
import { renderExample } from "../../src/witness/families.ts";
import { extractScript } from "../../src/witness/script.ts";
import { renderAttest } from "../../src/witness/render.ts";
import { FAMILIES, familyOf, sampleSpecs, type ExampleSpec } from "../../src/witness/spec.ts";
import { readingOf } from "../../src/witness/error-words.ts";
import { CAUSES, causeOf, maskDigests } from "../../src/witness/troubleshoot.ts";
import { dimsOf, fixtureCatalog, laidOut } from "../helpers/witness.ts";

const cfg = loadConfig(undefined).witness;
const families = [
  { name: "attest" as const, weight: cfg.families.attest.weight, questions: cfg.questions.length },
  { name: "troubleshoot" as const, weight: cfg.families.troubleshoot.weight, questions: cfg.families.troubleshoot.questions.length },
];

function take(n: number): ExampleSpec[] {
  const out: ExampleSpec[] = [];
  for (const { spec } of sampleSpecs({ ...dimsOf(cfg), families }, 7, undefined, familyShapers(cfg))) {
    out.push(spec);
    if (out.length >= n) break;
  }
  return out;
}

test("families come in proportion to their weights, and troubleshoot covers every cause", () => {
  const specs = take(300);
  const share = specs.filter((s) => familyOf(s) === "troubleshoot").length / specs.length;
  const want = cfg.families.troubleshoot.weight / (cfg.families.troubleshoot.weight + cfg.families.attest.weight);
  expect(Math.abs(share - want)).toBeLessThan(0.01);
  expect(new Set(specs.map((s) => s.cause).filter(Boolean))).toEqual(new Set(CAUSES.map((c) => c.name)));
  expect(CAUSES.length).toBeGreaterThanOrEqual(10);
});

test("every troubleshoot question shows its broken script, which differs from the answer's by its cause's edit", () => {
  for (const spec of take(200).filter((s) => familyOf(s) === "troubleshoot")) {
    const r = renderExample(spec, cfg, fixtureCatalog());
    expect(r.broken?.script).toBeTruthy();
    expect(r.question).toContain(r.broken!.script);
    expect(r.broken!.script).not.toBe(extractScript(r.answer));
    // The error is read first: the words of it that point at the cause, then the cause, then the fix.
    expect(r.answer).toStartWith("**Reading the error.**");
    const reading = readingOf(causeOf(spec.cause!).expect);
    expect(reading.words.some((w) => r.answer.split("**What is wrong.**")[0]!.toLowerCase().includes(w.toLowerCase()))).toBe(true);
    expect(r.answer.indexOf("**What is wrong.**")).toBeLessThan(r.answer.indexOf("**The corrected script.**"));
    // The corrected script is shown whole, in one block, after the prerequisites: the attest answer's script.
    const fix = r.answer.slice(r.answer.indexOf("**The corrected script.**"));
    expect(fix).toStartWith("**The corrected script.** You need `witness`");
    expect(fix.match(/```sh/g)?.length).toBe(1);
    expect(extractScript(r.answer)).toBe(extractScript(renderAttest(spec, cfg, fixtureCatalog()).answer));
  }
});

test("digests and key IDs in a quoted error are masked in words that say they vary, never as a placeholder", () => {
  expect(maskDigests(`keyids:   ${"ab12".repeat(16)}: verification failed`)).toBe("keyids:   [digest, varies per run]: verification failed");
});

test("checkpoints: after keygen, and before the key IDs once the last witness run is done", () => {
  let both = 0;
  for (const spec of take(120)) {
    const r = renderExample(spec, cfg, fixtureCatalog());
    const script = extractScript(r.answer);
    const points = checkpoints(r);
    expect(points.map((p) => p.name)[0]).toBe("keys");
    for (const p of points) expect(script.slice(p.offset - 1, p.offset)).toBe("\n");
    if (points.length === 2) both += 1;
    // A mutant shares the text before its checkpoint with the kept script.
    for (const m of r.mutations) {
      const mutated = applyMutation(script, m)!;
      const p = points.findLast((q) => q.offset <= script.indexOf(m.find));
      if (p) expect(mutated.slice(0, p.offset)).toBe(script.slice(0, p.offset));
    }
  }
  expect(both).toBeGreaterThan(60);
});

test("no checkpoint when the rest of the script writes keys/ or the prefix changes shell state", () => {
  const base = "```sh\nmkdir -p keys att reports\nopenssl genpkey -algorithm ed25519 -out keys/a.key\n```\n\n```sh\n";
  const at = (md: string, ids: SectionId[]): string[] => checkpoints(laidOut(md, ids)).map((p) => p.name);
  expect(at(`${base}echo x > keys/a.key\nwitness verify -p p\n\`\`\`\n`, ["keys", "verify"])).toEqual([]);
  expect(at(`${base}witness verify -p p -k keys/a.key\n\`\`\`\n`, ["keys", "verify"])).toEqual(["keys"]);
  const run = "```sh\ncd /tmp\n(cd repo/ws && witness run -s b -k ../../keys/a.key -o x -- true)\n```\n\n";
  const ids = "```sh\nb_keyid=$(openssl dgst -sha256 -r keys/a.pub | cut -d' ' -f1)\nwitness verify -p p\n```\n";
  const four: SectionId[] = ["keys", "project", "step", "keyids"];
  expect(at(`${base}true\n\`\`\`\n\n${run}${ids}`, four)).toEqual(["keys"]);
  expect(at(`${base}true\n\`\`\`\n\n${run.replace("cd /tmp\n", "")}${ids}`, four)).toEqual(["keys", "keyids"]);
  // A `set -eu` inside a here-document is a file's text, not the shell's state; on a line of its own it is state.
  const doc = "```sh\ncat > repo/build.sh <<'EOF'\nset -eu\nexport X=$(date)\nEOF\n```\n\n";
  const runNoCd = run.replace("cd /tmp\n", "");
  const five: SectionId[] = ["keys", "project", "reports", "step", "keyids"];
  expect(at(`${base}true\n\`\`\`\n\n${doc}${runNoCd}${ids}`, five)).toEqual(["keys", "keyids"]);
  expect(at(`${base}true\n\`\`\`\n\n${doc.replace("EOF\n```", "EOF\nset -eu\n```")}${runNoCd}${ids}`, five)).toEqual(["keys"]);
  expect(shellLines("a <<-'E'\nset -x\n\tE\nb <<E\nc\nE\nd")).toEqual(["a <<-'E'", "b <<E", "d"]);
});

test("no question text stands for two different answers, in any family", () => {
  const w = loadConfig(undefined).witness;
  const catalog = fixtureCatalog();
  const clashes = (c: typeof w, guarded: boolean, count: number): number => {
    const fams = FAMILIES.map((name) => ({
      name,
      weight: c.families[name]?.weight ?? 0,
      questions: questionTemplates({ step: "", family: name } as ExampleSpec, c).length,
    }));
    const questionOf = (s: ExampleSpec): string => renderExample(s, c, catalog).question;
    const answerOf = new Map<string, string>();
    let n = 0;
    let clash = 0;
    for (const { spec } of sampleSpecs({ ...dimsOf(c), families: fams }, 5, guarded ? questionOf : undefined, familyShapers(c))) {
      const r = renderExample(spec, c, catalog);
      const prior = answerOf.get(r.question);
      if (prior !== undefined && prior !== r.answer) clash += 1;
      answerOf.set(r.question, r.answer);
      if (++n >= count) break;
    }
    return clash;
  };
  expect(clashes(w, true, 2500)).toBe(0);
  // A family whose one template names little would repeat its question for other answers; the guard skips those.
  const pipeline = { weight: 0.5, questions: ["How do I attest the {steps} pipeline with witness?"] };
  const vague = { ...w, families: { ...w.families, pipeline } };
  expect(clashes(vague, false, 200)).toBeGreaterThan(0);
  expect(clashes(vague, true, 200)).toBe(0);
}, 120_000);

test("checkpoints are placed by the sections, not found in the text: no layout, a layout of another script, or other ids give none", () => {
  const md = [
    "```sh\nmkdir -p keys att reports\nopenssl genpkey -algorithm ed25519 -out keys/a.key\n```",
    "```sh\n(cd repo/ws && witness run -s b -k ../../keys/a.key -o x -- true)\n```",
    "```sh\nb_keyid=$(openssl dgst -sha256 -r keys/a.pub | cut -d' ' -f1)\nwitness verify -p p\n```\n",
  ].join("\n\n");
  const names = (ex: Parameters<typeof checkpoints>[0]): string[] => checkpoints(ex).map((p) => p.name);
  const good = laidOut(md, ["keys", "step", "keyids"]);
  expect(names(good)).toEqual(["keys", "keyids"]);
  expect(names({ answer: md })).toEqual([]);
  expect(names(laidOut(md, ["project", "step", "keyids"]))).toEqual(["keyids"]);
  expect(names(laidOut(md, ["keys", "step", "verify"]))).toEqual(["keys"]);
  expect(names(laidOut(md, ["keys", "chain", "keyids"]))).toEqual(["keys"]);
  // The layout must cover this script's lines exactly.
  expect(names({ answer: md, layout: good.layout.map((s, i) => (i === 2 ? { ...s, to: s.to + 1 } : s)) })).toEqual([]);
  // Offsets follow the layout: the keyids point is where that section's first line starts.
  const script = extractScript(md);
  expect(checkpoints(good).find((p) => p.name === "keyids")!.offset).toBe(script.indexOf("b_keyid="));
});
