// needs: witness docker
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, runCli } from "../helpers/cli.ts";
import { dockerPresent, testWith, witnessBin } from "../helpers/deps.ts";
import { hangUntilClientLeaves, startFakeOpenAI } from "../helpers/openai-server.ts";

const WITNESS = Boolean(witnessBin());
const DOCKER = dockerPresent();
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `sekft-eval-${p}-`));
// A training file with no line is not written (the manifest lists it as `empty`): it reads as no lines.
const jsonl = (f: string): any[] =>
  (existsSync(f) ? readFileSync(f, "utf8") : "")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const readJson = (f: string): any => JSON.parse(readFileSync(f, "utf8"));

let ds = "";
/** The dataset's own answer to each question (by the user message's text). */
const ownAnswer = new Map<string, string>();
const userOf = (messages: any[]): string => messages.findLast((m: any) => m.role === "user")?.content ?? "";

beforeAll(async () => {
  if (!WITNESS) return;
  ds = tmp("ds");
  const r = await runCli(["gen", "--config", join(ROOT, "fixtures/configs/witness-fast.toml"), "--count", "4", "--out", ds, "--workers", "2"]);
  if (r.code !== 0) throw new Error(`gen failed: ${r.stderr}`);
  for (const split of ["train", "valid"]) {
    for (const line of jsonl(join(ds, "witness", `${split}.jsonl`))) ownAnswer.set(userOf(line.messages), line.messages.at(-1).content);
  }
}, 300_000);

/** The valid split when it has a line (valid_share 0.3 of 4), else the train file: the questions asked. */
function target(): string {
  return jsonl(join(ds, "witness/valid.jsonl")).length ? ds : join(ds, "witness/train.jsonl");
}

describe("sekft eval (witness)", () => {
  let full = "";
  let empty = "";

  testWith(
    WITNESS && DOCKER,
    "a model that answers with the dataset's own answers scores pass@1 = pass@2 = 100%, and its answers are kept apart from train",
    async () => {
      const server = await startFakeOpenAI((body) => {
        const answer = ownAnswer.get(userOf(body.messages));
        return { content: answer ?? "no such question", usage: { prompt_tokens: 100, completion_tokens: 40 } };
      });
      try {
        full = tmp("full");
        const asked = target();
        const r = await runCli([
          "eval",
          asked,
          "--base-url",
          server.url,
          "--model",
          "own-answers",
          "--api-key-env",
          "",
          "--samples",
          "2",
          "--out",
          full,
          "--workers",
          "2",
        ]);
        expect(r.code, r.stderr).toBe(0);
        const report = readJson(join(full, "eval.json"));
        expect(report.track).toBe("witness");
        expect(report.runner).toBe("sandbox");
        expect(report.overall.pass_at_1).toBe(1);
        expect(report.overall.pass_at_k).toBe(1);
        expect(report.overall.pass_at_1_ci[1]).toBe(1);
        expect(report.overall.pass_at_1_ci[0]).toBeLessThan(1);
        expect(report.by_cause).toEqual({});
        expect(report.infra_errors).toBe(0);
        expect(report.tokens.per_answer).toEqual({ prompt: 100, completion: 40 });
        expect(report.intervals.pass_at_1).toContain("Wilson");
        // Family and attestors come from meta.jsonl (matched by the answer's digest), never "unknown" here.
        const meta = jsonl(join(ds, "witness/meta.jsonl"));
        expect(Object.keys(report.by_family).every((f) => meta.some((m) => m.family === f))).toBe(true);
        expect(Object.keys(report.by_attestor)).not.toContain("unknown");
        expect(server.requests).toHaveLength(report.questions * 2);
        expect(server.requests.every((b) => b.model === "own-answers" && b.messages.at(-1).role === "user")).toBe(true);
        expect(r.stderr).toContain("pass@1");

        // Rejection sampling: passing answers are SFT lines of the split asked, deduplicated per question, with provenance.
        const split = asked === ds ? "valid" : "train";
        const sftFile = split === "valid" ? "valid.jsonl" : "train.jsonl";
        const sft = jsonl(join(full, sftFile));
        expect(sft).toHaveLength(report.questions);
        for (const line of sft) {
          expect(line.messages.map((m: any) => m.role)).toEqual(["system", "user", "assistant"]);
          expect(line.messages[2].content).toBe(ownAnswer.get(line.messages[1].content)!);
        }
        if (split === "valid") expect(existsSync(join(full, "train.jsonl"))).toBe(false);
        const provenance = jsonl(join(full, "sft.meta.jsonl"));
        expect(provenance).toHaveLength(sft.length);
        for (const p of provenance) {
          expect(p).toMatchObject({ split, file: sftFile, model: "own-answers", proof: { ok: true, runner: "sandbox" } });
          expect(typeof p.source.line).toBe("number");
          expect(typeof p.sample).toBe("number");
        }
        expect(jsonl(join(full, "answers.jsonl"))).toHaveLength(report.questions * 2);
      } finally {
        await server.close();
      }
    },
    300_000,
  );

  testWith(
    WITNESS,
    "an empty answer scores 0% with its cause, and nothing is kept",
    async () => {
      const server = await startFakeOpenAI(() => ({ content: "" }));
      try {
        empty = tmp("empty");
        const r = await runCli(["eval", target(), "--base-url", server.url, "--model", "silent", "--api-key-env", "", "--out", empty, "--host"]);
        expect(r.code, r.stderr).toBe(0);
        const report = readJson(join(empty, "eval.json"));
        expect(report.overall.pass_at_1).toBe(0);
        expect(report.overall.pass_at_1_ci[0]).toBe(0);
        expect(report.by_cause["no-script"].count).toBe(report.scored);
        expect(report.by_cause["no-script"].share).toBe(1);
        expect(report.outputs.sft_lines).toBe(0);
        expect(jsonl(join(empty, "answers.jsonl")).every((a) => a.ok === false && a.cause === "no-script")).toBe(true);
      } finally {
        await server.close();
      }
    },
    120_000,
  );

  testWith(
    WITNESS,
    "--max-time: the answers scored so far are reported, marked partial, exit 75; the one in flight is left out",
    async () => {
      // The first answer comes at once; every later one never does, so only --max-time ends the run.
      const server = await startFakeOpenAI((_body, req, n) => (n === 1 ? { content: "" } : hangUntilClientLeaves(req)));
      try {
        const out = tmp("maxtime");
        const r = await runCli(
          [
            "eval",
            target(),
            "--base-url",
            server.url,
            "--model",
            "slow",
            "--api-key-env",
            "",
            "--out",
            out,
            "--host",
            "--workers",
            "1",
            "--samples",
            "3",
            "--max-time",
            "5s",
          ],
          { timeoutMs: 60_000 },
        );
        expect(r.code, r.stderr).toBe(75);
        expect(r.stderr).toContain("--max-time 5s ran out");
        const report = readJson(join(out, "eval.json"));
        expect(report.partial).toEqual({ reason: "max-time", max_time: "5s" });
        expect(report.scored).toBe(1);
        expect(report.infra_errors).toBe(0);
        expect(jsonl(join(out, "answers.jsonl"))).toHaveLength(1);
      } finally {
        await server.close();
      }
    },
    120_000,
  );

  testWith(
    WITNESS,
    "an endpoint that fails is an infra error: not scored, the report still written, exit 1",
    async () => {
      const server = await startFakeOpenAI(() => ({ content: "overloaded", status: 503 }));
      try {
        const out = tmp("infra");
        const config = join(out, "one-try.toml");
        await Bun.write(config, "[eval]\nmax_attempts = 1\n");
        const r = await runCli([
          "eval",
          target(),
          "--config",
          config,
          "--base-url",
          server.url,
          "--model",
          "down",
          "--api-key-env",
          "",
          "--out",
          out,
          "--host",
        ]);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toContain("not scored");
        const report = readJson(join(out, "eval.json"));
        expect(report.scored).toBe(0);
        expect(report.infra_errors).toBe(report.questions);
        expect(report.by_cause).toEqual({});
        expect(jsonl(join(out, "answers.jsonl")).every((a) => a.ok === null && a.cause === "infra-error" && a.reason.includes("503"))).toBe(true);
      } finally {
        await server.close();
      }
    },
    120_000,
  );

  testWith(WITNESS && DOCKER, "--compare prints both reports side by side with the difference, exit 0", async () => {
    expect(full && empty).toBeTruthy();
    const r = await runCli(["eval", "--compare", join(empty, "eval.json"), join(full, "eval.json")]);
    expect(r.code, r.stderr).toBe(0);
    const row = r.stdout.split("\n").find((l) => l.startsWith("pass@1 "))!;
    expect(row.split(/\s+/).slice(1)).toEqual(["0.0%", "100.0%", "+100.0", "pt"]);
    expect(r.stdout).toContain("A: silent");
    expect(r.stdout).toContain("B: own-answers");
    const j = await runCli(["eval", "--compare", join(empty, "eval.json"), join(full, "eval.json"), "--json"]);
    expect(JSON.parse(j.stdout).metrics.find((m: any) => m.metric === "pass@1")).toEqual({ metric: "pass@1", a: 0, b: 1, diff: 1 });
  });
});

describe("sekft eval: wrong requests exit 2", () => {
  test("no target, both runners, a bad URL, a non-report to compare", async () => {
    expect((await runCli(["eval"])).code).toBe(2);
    const f = join(tmp("bad"), "x.jsonl");
    await Bun.write(f, '{"messages":[{"role":"user","content":"hi"}]}\n');
    expect((await runCli(["eval", f, "--sandbox", "--host"])).code).toBe(2);
    const bad = await runCli(["eval", f, "--base-url", "not a url"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--base-url must be an http(s) URL");
    const cmp = await runCli(["eval", "--compare", f, f]);
    expect(cmp.code).toBe(2);
    expect(cmp.stderr).toContain("not");
  });
});

describe("sekft eval (shell)", () => {
  testWith(
    DOCKER,
    "bundles run by the model operator: success per axis and terminal, wrong-terminal share, outputs under OUT/rollout",
    async () => {
      const bundles = tmp("bundles");
      const g = await runCli(["gen", "--track", "shell", "--count", "4", "--workers", "2", "--out", bundles, "--seed", "5"]);
      expect(g.code, g.stderr).toBe(0);
      // A model that always ends at once: right on an empty queue, never on a blocked cell (that needs panic).
      const server = await startFakeOpenAI(() => ({ content: "exit", usage: { prompt_tokens: 7, completion_tokens: 1 } }));
      try {
        const out = tmp("shell");
        const r = await runCli([
          "eval",
          bundles,
          "--base-url",
          server.url,
          "--model",
          "exiter",
          "--api-key-env",
          "",
          "--samples",
          "2",
          "--out",
          out,
          "--workers",
          "2",
        ]);
        expect(r.code, r.stderr).toBe(0);
        const report = readJson(join(out, "eval.json"));
        const trajectories = jsonl(join(out, "rollout/trajectories.jsonl"));
        expect(report.track).toBe("shell");
        expect(report.scored).toBe(8);
        expect(trajectories).toHaveLength(8);
        expect(trajectories.every((t) => t.operator === "model" && t.model === "exiter")).toBe(true);
        expect(Object.keys(report.by_axis).sort()).toEqual(["announcement", "difficulty", "doc_depth", "provider", "task"]);
        for (const values of Object.values<any>(report.by_axis)) {
          expect(Object.values<any>(values).reduce((s, v) => s + v.samples, 0)).toBe(8);
        }
        const success = trajectories.filter((t) => t.outcome === "success").length;
        expect(report.overall.passed).toBe(success);
        expect(report.overall.pass_at_1).toBeCloseTo(success / 8, 12);
        if (report.by_axis.difficulty.empty_queue) expect(report.by_axis.difficulty.empty_queue.rate).toBe(1);
        if (report.by_terminal.panic) expect(report.by_terminal.panic.success).toBe(0);
        expect(report.wrong_terminal.count).toBe(trajectories.filter((t) => t.outcome === "wrong-terminal").length);
        expect(report.wrong_terminal.ci).toHaveLength(2);
        expect(r.stderr).toContain("wrong terminal");
      } finally {
        await server.close();
      }
    },
    300_000,
  );
});
