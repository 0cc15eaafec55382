import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { writeRolloutOutputs } from "../../src/rollout/outputs.ts";
import { ROLLOUT_FILES, type Outcome, type Trajectory } from "../../src/rollout/record.ts";
import { formatRolloutStats, rolloutStats } from "../../src/rollout/stats.ts";
import { stepIndex, stepLinesOf, stepProblem } from "../../src/rollout/steps.ts";

const lines = (f: string): any[] =>
  existsSync(f)
    ? readFileSync(f, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];

function sample(bundle: string, operator: string, cmds: string[], outcome: Outcome, terminal: string | null = "exit"): Trajectory {
  return {
    key: `${bundle}#${operator}#${cmds.join("|")}`,
    bundle_id: bundle,
    cell: { task: "t" },
    sample: 0,
    operator,
    variant: operator,
    model: "builtin",
    scaffold_version: "none",
    login: "welcome\n$ ",
    turns: cmds.map((cmd) => ({ cmd, exit_code: 0, output: `${cmd} done\n$ `, truncated: false, ms: 1 })),
    terminal,
    outcome,
    keep: operator === "reference" && outcome === "success",
    checker: { exit_code: outcome === "success" ? 0 : 1, output: "" },
    usage: { prompt_tokens: 0, completion_tokens: 0 },
    timings: { ready_ms: 1, total_ms: 2 },
  };
}

const keeper = sample("b", "reference", ["ls", "cat f"], "success");
const wrong = sample("b", "perturb", ["ls", "rm f"], "wrong-state");
const loop = sample("b", "perturb", ["ls", "cat g", "cat g", "cat g"], "stuck", null);
const said = (l: any) => l.completion[0].content;

describe("step-level KTO lines", () => {
  test("a reject's turns before it parts from the keeper are desirable, the keeper's turn there too, the reject's turn there not", () => {
    const steps = stepLinesOf([keeper], [wrong], "chat", "string");
    expect(steps.map((l: any) => [l.prompt.length, said(l), l.label])).toEqual([
      [1, "ls", true],
      [3, "cat f", true],
      [3, "rm f", false],
    ]);
    for (const l of steps as any[]) {
      expect(Object.keys(l).sort()).toEqual(["completion", "label", "prompt"]);
      expect(l.prompt.at(-1).role).toBe("user");
      expect(l.completion).toHaveLength(1);
      expect(l.completion[0].role).toBe("assistant");
    }
    // Turns after the divergence are not judged: the loop's repeats are not lines, only its first wrong turn.
    const both = stepLinesOf([keeper], [wrong, loop], "chat", "string");
    expect(both.map((l: any) => [said(l), l.label])).toEqual([
      ["ls", true],
      ["cat f", true],
      ["rm f", false],
      ["cat g", false],
    ]);
  });

  test("without a keeper there is no step to judge; the tools form carries the tool", () => {
    expect(stepLinesOf([], [wrong], "chat", "string")).toEqual([]);
    const tools = stepLinesOf([keeper], [wrong], "tools", "string") as any[];
    expect(tools).toHaveLength(3);
    for (const l of tools) expect(l.tools[0].function.name).toBe("run_command");
    expect(JSON.parse(tools[2].completion[0].tool_calls[0].function.arguments).command).toBe("rm f");
  });

  test("the outputs write them per split beside kto.jsonl, counted in the manifest", () => {
    const dir = mkdtempSync(join(tmpdir(), "sekft-steps-"));
    const config = loadConfig(undefined);
    const ids = Array.from({ length: 12 }, (_, i) => `b${i}`.padStart(16, "0"));
    const all = ids.flatMap((b) => [sample(b, "reference", ["ls", "cat f"], "success"), sample(b, "perturb", ["ls", "rm f"], "wrong-state")]);
    const counts = writeRolloutOutputs(dir, all, {
      format: "chat",
      validShare: config.rollout.valid_share,
      maxPairs: 4,
      config,
      seed: 1,
      bundleSetSha256: "0".repeat(64),
      bundles: [],
    });
    const train = lines(join(dir, ROLLOUT_FILES.ktoSteps));
    const valid = lines(join(dir, ROLLOUT_FILES.ktoStepsValid));
    expect(train.length + valid.length).toBe(36);
    expect(valid.length).toBe(3 * lines(join(dir, "valid.jsonl")).length);
    expect([counts.kto_steps, counts.kto_steps_valid]).toEqual([train.length, valid.length]);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    expect(Object.keys(manifest.files)).toContain(ROLLOUT_FILES.ktoSteps);
    expect(manifest.counts.kto_steps).toBe(train.length);
  });

  test("verify's rule: every step line is a step a sample took; an undesirable one, of a sample that failed", () => {
    const index = stepIndex([keeper, wrong], "chat", "string");
    const steps = stepLinesOf([keeper], [wrong], "chat", "string") as any[];
    for (const l of steps) expect(stepProblem(l, index)).toBeNull();
    const forged = structuredClone(steps[2]);
    forged.completion[0].content = "rm -rf /";
    expect(stepProblem(forged, index)).toBe("no recorded sample took this step");
    const flipped = { ...steps[1], label: false };
    expect(stepProblem(flipped, index)).toBe("an undesirable step that only passing samples took");
    expect(stepProblem({ prompt: steps[0].prompt, completion: [], label: true }, index)).toContain("not a step line");
  });
});

describe("rollout stats", () => {
  test("per perturbation kind: the negatives it made and the samples that still passed, which are never negatives", () => {
    const dir = mkdtempSync(join(tmpdir(), "sekft-stats-"));
    const t = (variant: string, outcome: Outcome) => ({ ...sample("b", "perturb", [variant, outcome], outcome), variant });
    const rows = [keeper, t("loop", "stuck"), t("loop", "stuck"), t("skip-docs", "success"), t("give-up", "wrong-terminal"), t("give-up", "success")];
    writeFileSync(join(dir, ROLLOUT_FILES.trajectories), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const s = rolloutStats(dir, 0.1, ["blocked"]);
    expect(s.perturbations).toEqual({
      loop: { negatives: 2, passing: 0, outcomes: { stuck: 2 } },
      "skip-docs": { negatives: 0, passing: 1, outcomes: {} },
      "give-up": { negatives: 1, passing: 1, outcomes: { "wrong-terminal": 1 } },
    });
    const text = formatRolloutStats({ ...s, tokens: {} });
    expect(text).toContain("perturbations: 2 kinds made negatives");
    expect(text).toContain("  skip-docs: 0 / 1\n");
    expect(text).toContain("  loop: 2 / 0 (stuck=2)\n");
  });
});
