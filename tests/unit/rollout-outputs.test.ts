import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { sha256 } from "../../src/dataset/hash.ts";
import { splitOf } from "../../src/dataset/split.ts";
import { writeRolloutOutputs } from "../../src/rollout/outputs.ts";
import type { Outcome, Trajectory } from "../../src/rollout/record.ts";

const lines = (f: string): any[] =>
  existsSync(f)
    ? readFileSync(f, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];

/** A decided sample: `cmds` then `exit`; a keeper when it succeeded as the reference. */
function sample(bundle: string, operator: string, cmds: string[], outcome: Outcome): Trajectory {
  return {
    key: `${bundle}:${operator}:${cmds.join("|")}`,
    bundle_id: bundle,
    cell: { task: "t" },
    sample: 0,
    operator,
    variant: operator,
    model: "builtin",
    scaffold_version: "1",
    login: "welcome\n$ ",
    turns: cmds.map((cmd) => ({ cmd, exit_code: 0, output: `${cmd} done\n$ `, truncated: false, ms: 1 })),
    terminal: "exit",
    outcome,
    keep: operator === "reference" && outcome === "success",
    checker: { exit_code: outcome === "success" ? 0 : 1, output: "" },
    usage: { prompt_tokens: 0, completion_tokens: 0 },
    timings: { ready_ms: 1, total_ms: 2 },
  };
}

function write(all: Trajectory[], overrides: Record<string, unknown> = {}, format: "chat" | "tools" = "chat") {
  const dir = mkdtempSync(join(tmpdir(), "sekft-rollout-out-"));
  const config = loadConfig(undefined, { rollout: overrides });
  const counts = writeRolloutOutputs(dir, all, {
    format,
    validShare: config.rollout.valid_share,
    maxPairs: config.rollout.max_pairs_per_bundle,
    config,
    seed: 1,
    bundleSetSha256: "0".repeat(64),
    bundles: [],
  });
  return { dir, counts, manifest: JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) };
}

const bundles = Array.from({ length: 12 }, (_, i) => `b${i}`.padStart(16, "0")); // hex, like real bundle ids (the ATIF path needs them)
const referencePlusPerturb = bundles.flatMap((b) => [sample(b, "reference", ["ls", "cat f"], "success"), sample(b, "perturb", ["ls", "rm f"], "wrong-state")]);

describe("rollout outputs", () => {
  test("SFT under mlx-lm's names, a valid line from 10 bundles on; DPO and KTO of each bundle in the files of its split", () => {
    const { dir, counts, manifest } = write(referencePlusPerturb);
    const train = lines(join(dir, "train.jsonl"));
    const valid = lines(join(dir, "valid.jsonl"));
    expect(train.length + valid.length).toBe(12);
    expect(valid.length).toBeGreaterThanOrEqual(1);
    expect(counts.sft_valid).toBe(valid.length);
    // One pair per bundle, each in the file of the bundle's split; no validation bundle in a training file.
    const meta = lines(join(dir, "dpo.meta.jsonl"));
    const dpo = lines(join(dir, "dpo.jsonl"));
    const dpoValid = lines(join(dir, "dpo-valid.jsonl"));
    expect(dpo.length + dpoValid.length).toBe(12);
    expect(dpoValid.length).toBe(valid.length);
    expect(meta.slice(0, dpo.length).every((m) => m.split === "train")).toBe(true);
    expect(meta.slice(dpo.length).every((m) => m.split === "valid")).toBe(true);
    // KTO holds both labels: every keeper desirable, every reject undesirable, paired or not.
    const kto = [...lines(join(dir, "kto.jsonl")), ...lines(join(dir, "kto-valid.jsonl"))];
    expect(kto.filter((l) => l.label === true)).toHaveLength(12);
    expect(kto.filter((l) => l.label === false)).toHaveLength(12);
    expect(lines(join(dir, "kto.jsonl")).some((l) => l.label === false)).toBe(true);
    expect(manifest.empty ?? []).toEqual([]);
    for (const f of ["train.jsonl", "valid.jsonl", "dpo.jsonl", "dpo-valid.jsonl", "kto.jsonl", "kto-valid.jsonl"])
      expect(Object.keys(manifest.files)).toContain(f);
  });

  test("a split with no line is not written, and the manifest says so (a reference-only run has no pair)", () => {
    const few = bundles.slice(0, 3).map((b) => sample(b, "reference", ["ls"], "success"));
    const { dir, manifest } = write(few, { valid_share: 0 });
    for (const f of ["valid.jsonl", "dpo.jsonl", "dpo-valid.jsonl", "kto-valid.jsonl"]) {
      expect(existsSync(join(dir, f)), f).toBe(false);
      expect(manifest.empty).toContain(f);
      expect(Object.keys(manifest.files)).not.toContain(f);
    }
    expect(lines(join(dir, "train.jsonl"))).toHaveLength(3);
  });

  test("below 10 bundles the split is the bundle id's hash alone", () => {
    const nine = bundles.slice(0, 9).map((b) => sample(b, "reference", ["ls"], "success"));
    const { dir } = write(nine);
    const expected = nine.filter((t) => splitOf(sha256(t.bundle_id), 0.1) === "valid").length;
    expect(lines(join(dir, "valid.jsonl"))).toHaveLength(expected);
  });

  test("tool_arguments: a JSON string by default, the object itself with `object`", () => {
    const one = [sample("0".repeat(15) + "b", "reference", ["ls"], "success")];
    const call = (dir: string) => lines(join(dir, "train.jsonl"))[0].messages[1].tool_calls[0].function.arguments;
    expect(call(write(one, {}, "tools").dir)).toBe(JSON.stringify({ command: "ls" }));
    const obj = write(one, { tool_arguments: "object" }, "tools");
    expect(call(obj.dir)).toEqual({ command: "ls" });
    expect(obj.manifest.tools.tool_arguments).toBe("object");
  });
});
