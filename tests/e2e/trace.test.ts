import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, runCli } from "../helpers/cli.ts";

const C = (name: string) => join(ROOT, "fixtures/trace/check", name);
const FROM = (name: string) => join(ROOT, "fixtures/trace/from", name);
const dir = mkdtempSync(join(tmpdir(), "sekft-trace-"));
type Record_ = { file: string; status: string; findings: { pointer: string; rule: string }[] };

describe("sekft trace check", () => {
  test("the spec's examples get their true verdicts, one JSON record per file", async () => {
    const r = await runCli(["trace", "check", C("spec-minimal.json"), C("spec-eu-ai-act.json"), C("spec-threshold-violation.json"), "--json"]);
    expect(r.code, r.stderr).toBe(1);
    const records = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record_);
    expect(records.map((x) => [x.status, x.findings.map((f) => `${f.rule} ${f.pointer}`)])).toEqual([
      ["ok", []],
      ["failed", ["num_steps /summary/num_steps"]],
      ["failed", ["num_steps /summary/num_steps"]],
    ]);
    expect(r.stderr).toContain("/summary/num_steps  [num_steps: summary.num_steps == len(compute_events)]");
  });

  test("exit 0 when clean, 2 when a file is unreadable", async () => {
    expect((await runCli(["trace", "check", C("spec-minimal.json"), C("good-float-exact.json")])).code).toBe(0);
    const bad = join(dir, "broken.json");
    writeFileSync(bad, '{"version": "1.0",');
    const r = await runCli(["trace", "check", C("spec-minimal.json"), bad]);
    expect([r.code, r.stderr]).toEqual([2, expect.stringContaining("not valid JSON")]);
  });

  test("the float trap fails; a sum that holds only exactly passes", async () => {
    const r = await runCli(["trace", "check", C("bad-float-trap.json")]);
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining("sum to 10000000000000000000000001")]);
  });

  test("a privacy list from --config replaces the default", async () => {
    const cfg = join(dir, "privacy.toml");
    writeFileSync(cfg, '[trace]\nprivacy_keys = ["organization"]\n');
    const r = await runCli(["trace", "check", C("spec-eu-ai-act.json"), "--json", "--config", cfg]);
    expect((JSON.parse(r.stdout) as Record_).findings.map((f) => f.rule)).toEqual(["num_steps", "privacy"]);
  });
});

describe("sekft trace report", () => {
  test("10^25 is at the EU threshold and does not meet it; JSON on stdout, table on stderr", async () => {
    const r = await runCli(["trace", "report", C("spec-threshold-violation.json"), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as { thresholds: { id: string; position: string; meets: boolean }[] };
    expect(rep.thresholds.map((t) => [t.id, t.position, t.meets])).toEqual([
      ["eu_ai_act_art51", "at", false],
      ["eu_gpai_guidelines", "above", true],
      ["ca_sb53_frontier", "below", false],
    ]);
    expect(r.stderr).toMatch(/EU AI Act systemic-risk presumption\s+> 1e\+25\s+at\s+no/);
  });

  test("a 6·N·D disagreement beyond the factor exits 1", async () => {
    const ok = await runCli(["trace", "report", C("spec-minimal.json"), "--params", "1e9", "--tokens", "3.3e7"]);
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await runCli(["trace", "report", C("spec-minimal.json"), "--params", "1e9", "--tokens", "1e6"]);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringContaining("DISAGREES")]);
    expect((await runCli(["trace", "report", C("spec-minimal.json"), "--params", "1e9"])).code).toBe(2);
  });
});

describe("sekft trace from-mlx / from-hf", () => {
  for (const [cmd, input, extra] of [
    ["from-mlx", FROM("mlx-lines.log"), ["--params", "7241732000"]],
    ["from-mlx", FROM("mlx-table.log"), ["--params", "596049920"]],
    ["from-hf", FROM("hf-trainer_state.json"), []],
    ["from-hf", FROM("hf-trainer_state-tokens.json"), ["--params", "494032768"]],
  ] as const) {
    test(`${cmd} ${input.split("/").pop()} → a trace that trace check accepts; report reads its provenance`, async () => {
      const out = join(dir, `${input.split("/").pop()}.trace.json`);
      const r = await runCli(["trace", cmd, input, ...extra, "--out", out, "--start", "2025-05-01T09:00:00Z"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("provenance:");
      expect((await runCli(["trace", "check", out])).code).toBe(0);
      const prov = JSON.parse(readFileSync(`${out}.provenance.json`, "utf8")) as { params: string; total_flops: string };
      if (extra.length) {
        const rep = await runCli(["trace", "report", out, "--provenance", `${out}.provenance.json`, "--json"]);
        expect(rep.code, rep.stderr).toBe(0);
        expect((JSON.parse(rep.stdout) as { crosscheck: { ratio: { exact: string } } }).crosscheck.ratio.exact).toBe("1");
      }
      expect(readFileSync(out, "utf8")).toContain(`"total_flops": ${prov.total_flops}`);
    });
  }

  test("from-mlx writes the trace to stdout without --out, and needs --params", async () => {
    const r = await runCli(["trace", "from-mlx", FROM("mlx-lines.log"), "--params", "1e9", "--start", "2025-05-01T09:00:00Z"]);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { version: string }).version).toBe("1.0");
    expect((await runCli(["trace", "from-mlx", FROM("mlx-lines.log")])).code).toBe(2);
  });
});
