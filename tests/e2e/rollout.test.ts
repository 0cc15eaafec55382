// needs: docker
import { beforeAll, describe, expect } from "bun:test";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binCommand, cleanEnv, IN_CI, ROOT, runCli } from "../helpers/cli.ts";
import { labelled } from "../helpers/docker.ts";
import { dockerPresent, testWith } from "../helpers/deps.ts";
import { startFakeOpenAI } from "../helpers/openai-server.ts";

const DOCKER = dockerPresent();
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `sekft-rollout-${p}-`));
// A training file with no line is not written (the manifest lists it as `empty`): it reads as no lines.
const jsonl = (f: string): any[] =>
  (existsSync(f) ? readFileSync(f, "utf8") : "")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

let bundles = "";
let bundleList: any[] = [];

beforeAll(async () => {
  if (!DOCKER) return;
  bundles = tmp("bundles");
  // Every difficulty: single, multi, empty_queue and blocked (panic) cells.
  const r = await runCli(["gen", "--track", "shell", "--count", "8", "--workers", "2", "--out", bundles, "--seed", "5"]);
  if (r.code !== 0) throw new Error(`gen --track shell failed: ${r.stderr}`);
  const dir = join(bundles, "shell/bundles");
  bundleList = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")));
}, 600_000);

/** The TRL / mlx-lm field lists: a message is {role, content} (chat) or carries tool_calls / tool_call_id (tools). */
function expectMessages(ms: any[], format: "chat" | "tools"): void {
  expect(Array.isArray(ms)).toBe(true);
  for (const m of ms) {
    expect(["user", "assistant", "tool"]).toContain(m.role);
    if (format === "chat") {
      expect(Object.keys(m).sort()).toEqual(["content", "role"]);
      expect(typeof m.content).toBe("string");
    } else if (m.role === "assistant") {
      expect(m.tool_calls).toHaveLength(1);
      expect(m.tool_calls[0].function.name).toBe("run_command");
      expect(typeof JSON.parse(m.tool_calls[0].function.arguments).command).toBe("string");
    } else if (m.role === "tool") {
      expect(typeof m.tool_call_id).toBe("string");
    }
  }
}

describe("rollouts", () => {
  // One reference and one perturb rollout of the builtin bundles, shared: each test below checks one promise.
  let dir = "";
  let ref = { code: -1, stdout: "", stderr: "rollout did not run" };
  let per = { code: -1, stdout: "", stderr: "rollout did not run" };
  beforeAll(async () => {
    if (!DOCKER && !IN_CI) return;
    const out = tmp("ref");
    dir = join(out, "rollout");
    ref = await runCli(["rollout", bundles, "--out", out, "--operator", "reference", "--workers", "2"]);
    if (ref.code === 0) per = await runCli(["rollout", bundles, "--out", out, "--operator", "perturb", "--samples", "3", "--workers", "2"]);
  }, 600_000);
  const all = (): any[] => jsonl(join(dir, "trajectories.jsonl"));

  testWith(DOCKER, "the reference operator succeeds on every builtin bundle, of every difficulty", () => {
    expect(ref.code, ref.stderr).toBe(0);
    const refs = all().filter((t) => t.operator === "reference");
    expect(refs).toHaveLength(bundleList.length);
    for (const t of refs) expect([t.bundle_id, t.outcome]).toEqual([t.bundle_id, "success"]);
    expect(new Set(bundleList.map((b) => b.cell.difficulty))).toEqual(new Set(["single", "multi", "empty_queue", "blocked"]));
  });

  testWith(DOCKER, "perturb samples are never kept and carry a failure label, or are recorded as still passing", () => {
    expect(per.code, per.stderr).toBe(0);
    const perturbed = all().filter((t) => t.operator === "perturb");
    expect(perturbed.length).toBeGreaterThan(bundleList.length);
    for (const t of perturbed) {
      expect(t.keep).toBe(false);
      if (t.outcome === "success") expect(t.dropped).toBe("the perturbation still passed");
      else expect(["wrong-state", "wrong-terminal", "stuck"]).toContain(t.outcome);
    }
    expect(perturbed.some((t) => t.outcome === "wrong-state")).toBe(true);
    expect(perturbed.some((t) => t.outcome === "wrong-terminal")).toBe(true);
  });

  testWith(DOCKER, "SFT lines (train.jsonl, valid.jsonl) are mlx-lm chat: messages only, from the user to the terminal, no scaffold", () => {
    const sft = [...jsonl(join(dir, "train.jsonl")), ...jsonl(join(dir, "valid.jsonl"))];
    expect(sft.length).toBe(bundleList.length);
    for (const l of sft) {
      expect(Object.keys(l)).toEqual(["messages"]);
      expectMessages(l.messages, "chat");
      expect(l.messages[0].role).toBe("user");
      expect(l.messages.at(-1).role).toBe("assistant");
      expect(l.messages.at(-1).content).toMatch(/^(exit|panic)\b/);
      expect(JSON.stringify(l)).not.toContain("Nobody will tell you what to do");
    }
  });

  testWith(DOCKER, "no bundle's keepers are in both train.jsonl and valid.jsonl", () => {
    const first = (ls: any[]) => new Set(ls.map((l) => l.messages[0].content + l.messages[1].content));
    const train = first(jsonl(join(dir, "train.jsonl")));
    for (const k of first(jsonl(join(dir, "valid.jsonl")))) expect(train.has(k)).toBe(false);
  });

  testWith(DOCKER, "DPO lines are TRL explicit-prompt preferences split at the first differing assistant turn, with their reject's outcome", () => {
    const dpo = jsonl(join(dir, "dpo.jsonl"));
    expect(dpo.length).toBeGreaterThan(0);
    for (const p of dpo) {
      expect(Object.keys(p).sort()).toEqual(["chosen", "prompt", "rejected"]);
      for (const k of ["prompt", "chosen", "rejected"]) expectMessages(p[k], "chat");
      expect(p.prompt.at(-1).role).toBe("user");
      expect(p.chosen[0].role).toBe("assistant");
      expect(p.rejected[0].role).toBe("assistant");
      expect(p.chosen[0].content).not.toBe(p.rejected[0].content);
    }
    // dpo.meta.jsonl: dpo.jsonl's pairs line for line, then those of the valid bundles' dpo-valid.jsonl.
    const meta = jsonl(join(dir, "dpo.meta.jsonl"));
    expect(meta).toHaveLength(dpo.length + jsonl(join(dir, "dpo-valid.jsonl")).length);
    for (const m of meta) expect(["wrong-state", "wrong-terminal", "stuck"]).toContain(m.reject_outcome);
  });

  testWith(
    DOCKER,
    "on builtin bundles the negatives cover six mistake kinds or more, and no sample that passed is written as a negative",
    async () => {
      const samples = all();
      const perturbed = samples.filter((t) => t.operator === "perturb");
      const kinds = new Set(perturbed.filter((t) => t.outcome !== "success").map((t) => t.variant));
      expect(kinds.size, [...kinds].join(" ")).toBeGreaterThanOrEqual(6);
      // The loop a small model falls into ends as `stuck`, its failing command repeated.
      const loop = perturbed.find((t) => t.variant === "loop")!;
      expect(loop.outcome).toBe("stuck");
      expect(new Set(loop.turns.slice(-3).map((x: any) => x.cmd)).size).toBe(1);
      // A sample that passed is in no DPO pair and no undesirable KTO line.
      const byKey = new Map(samples.map((t) => [t.key, t]));
      const meta = jsonl(join(dir, "dpo.meta.jsonl"));
      for (const m of meta) expect(byKey.get(m.rejected).outcome).not.toBe("success");
      const kto = [...jsonl(join(dir, "kto.jsonl")), ...jsonl(join(dir, "kto-valid.jsonl"))];
      expect(kto.filter((l) => l.label === false)).toHaveLength(samples.filter((t) => t.outcome !== "success").length);
      // Step-level lines: one assistant turn each, both labels; an undesirable one is a failed sample's turn.
      const steps = [...jsonl(join(dir, "kto-steps.jsonl")), ...jsonl(join(dir, "kto-steps-valid.jsonl"))];
      expect(new Set(steps.map((l) => l.label))).toEqual(new Set([true, false]));
      for (const l of steps) {
        expect(Object.keys(l).sort()).toEqual(["completion", "label", "prompt"]);
        expect(l.completion).toHaveLength(1);
        expect(l.prompt.at(-1).role).toBe("user");
      }
      // stats: per kind, the negatives it made and the samples that still passed.
      const s = await runCli(["stats", dir, "--json"]);
      expect(s.code, s.stderr).toBe(0);
      const per = JSON.parse(s.stdout).perturbations;
      for (const kind of new Set(perturbed.map((t) => t.variant))) {
        const of = perturbed.filter((t) => t.variant === kind);
        expect([kind, per[kind].negatives, per[kind].passing]).toEqual([
          kind,
          of.filter((t) => t.outcome !== "success").length,
          of.filter((t) => t.outcome === "success").length,
        ]);
      }
    },
    120_000,
  );

  testWith(DOCKER, "KTO lines are prompt, completion, label; the manifest names the track and counts every sample", () => {
    for (const k of jsonl(join(dir, "kto.jsonl"))) expect(Object.keys(k).sort()).toEqual(["completion", "label", "prompt"]);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    expect(manifest.track).toBe("rollout");
    expect(manifest.counts.samples).toBe(all().length);
  });

  testWith(
    DOCKER,
    "stats counts the cell axes and the terminal balance of the keepers",
    async () => {
      const s = await runCli(["stats", dir, "--json"]);
      expect(s.code, s.stderr).toBe(0);
      const stats = JSON.parse(s.stdout);
      expect(Object.keys(stats.by).sort()).toEqual(["announcement", "difficulty", "doc_depth", "provider", "task"]);
      const keepers = all().filter((t) => t.keep);
      const panicShare = keepers.filter((t) => t.cell.difficulty === "blocked").length / keepers.length;
      expect(stats.terminal_balance.panic).toBeCloseTo(panicShare, 6);
      expect(stats.terminal_balance.short.includes("panic")).toBe(panicShare < stats.terminal_balance.min_share);
    },
    120_000,
  );

  testWith(
    DOCKER,
    "verify replays every sample; a recorded outcome that does not reproduce is reported per line",
    async () => {
      const v = await runCli(["verify", dir, "--workers", "2"]);
      expect(v.code, v.stderr).toBe(0);
      expect(v.stderr).toContain(`${all().length} passed, 0 failed`);
      // The forgery goes into a copy, so the other tests read the data as the rollouts wrote it.
      const copy = join(tmp("forged"), "rollout");
      cpSync(dir, copy, { recursive: true });
      const lines = readFileSync(join(copy, "trajectories.jsonl"), "utf8").split("\n").filter(Boolean);
      // Forge a sample that succeeded (lines are in sample-key order, so find one).
      const at = lines.findIndex((l) => JSON.parse(l).outcome === "success");
      expect(at).toBeGreaterThanOrEqual(0);
      const forged = lines.map((l, i) => (i === at ? JSON.stringify({ ...JSON.parse(l), outcome: "wrong-state" }) : l));
      writeFileSync(join(copy, "trajectories.jsonl"), `${forged.join("\n")}\n`);
      // And a step-level KTO line no sample took.
      const steps = readFileSync(join(copy, "kto-steps.jsonl"), "utf8").split("\n").filter(Boolean);
      const step = JSON.parse(steps[0]!);
      step.completion[0].content = "rm -rf /home/op/work";
      writeFileSync(join(copy, "kto-steps.jsonl"), `${[JSON.stringify(step), ...steps.slice(1)].join("\n")}\n`);
      const bad = await runCli(["verify", copy, "--workers", "2"]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain(`trajectories.jsonl:${at + 1}:`);
      expect(bad.stderr).toContain("recorded wrong-state, replayed success");
      expect(bad.stderr).toContain("kto-steps.jsonl:1: no recorded sample took this step");
      expect(await labelled()).toBe(0);
    },
    600_000,
  );

  testWith(
    DOCKER,
    "--format tools writes the same turns as tool calls: {messages, tools} with one run_command tool",
    async () => {
      const tools = tmp("tools");
      const t = await runCli(["rollout", bundles, "--out", tools, "--operator", "reference", "--format", "tools"]);
      expect(t.code, t.stderr).toBe(0);
      for (const l of jsonl(join(tools, "rollout/train.jsonl"))) {
        expect(Object.keys(l).sort()).toEqual(["messages", "tools"]);
        expect(l.tools[0].function.name).toBe("run_command");
        expect(l.tools[0].function.parameters.required).toEqual(["command"]);
        expectMessages(l.messages, "tools");
      }
      expect(await labelled()).toBe(0);
    },
    600_000,
  );

  testWith(
    DOCKER,
    "model operator: a good one keeps, a silent one is no-terminal; hostile ones get their label, no crash, no host write, no leaked container",
    async () => {
      const bundle = bundleList.find((b) => b.cell.difficulty === "single")!;
      const one = tmp("one");
      mkdirSync(join(one, "bundles"));
      // The checker also proves that nothing the operator started is alive when it runs: a forger's counter
      // read twice, half a second apart, must not move.
      const guard =
        'a=$(cat /home/op/forged 2>/dev/null); sleep 0.5; b=$(cat /home/op/forged 2>/dev/null); [ "$a" = "$b" ] || { echo "forger alive"; exit 1; }\n';
      writeFileSync(join(one, "bundles", `${bundle.id}.json`), JSON.stringify({ ...bundle, checker: guard + bundle.checker }));
      const reference: string[] = bundle.reference.map((s: any) => s.cmd);
      const marker = join(tmpdir(), `sekft-host-marker-${process.pid}`);
      const scripts: Record<string, (turn: number) => string> = {
        // Good: the reference, the first reply wrapped in prose and a fence (the documented rule takes the block).
        good: (i) => (i === 0 ? `Let me look around first.\n\`\`\`sh\n${reference[0]}\n\`\`\`` : (reference[i] ?? "exit")),
        // Never ends, never repeats itself (a repeat would be `stuck`).
        silent: (i) => `echo ${i}`,
        forger: (i) => (i === 0 ? "(i=0; while :; do i=$((i+1)); echo $i > /home/op/forged; sleep 0.05; done) >/dev/null 2>&1 &" : "exit"),
        snoop: (i) =>
          [
            "cat /run/sekft/env /proc/1/environ; ls -la / /root",
            `echo pwned > ${marker}; echo x > /usr/bin/sh; cat /etc/shadow`,
            "yes sekft-flood | head -c 3000000",
            "exit",
          ][i] ?? "exit",
        huge: () => "x".repeat(10 * 1024 * 1024),
      };
      const server = await startFakeOpenAI((body) => {
        const who = String(body.model);
        const turn = body.messages.filter((m: any) => m.role === "assistant").length;
        return { content: scripts[who]!(turn), usage: { prompt_tokens: 10, completion_tokens: 2 } };
      });
      try {
        const outcomes: Record<string, any> = {};
        for (const who of Object.keys(scripts)) {
          const out = tmp(who);
          const cfg = join(out, "op.toml");
          writeFileSync(cfg, `[shell.operator]\nbase_url = "${server.url}"\nmodel = "${who}"\napi_key_env = ""\n[rollout]\nmax_turns = 12\n`);
          const r = await runCli(["rollout", one, "--out", out, "--operator", "model", "--config", cfg], { env: cleanEnv() });
          expect(r.code, `${who}: ${r.stderr}`).toBe(0);
          outcomes[who] = jsonl(join(out, "rollout/trajectories.jsonl"))[0];
        }
        expect(outcomes.good.outcome).toBe("success");
        expect(outcomes.good.turns[0].cmd).toBe(reference[0]);
        expect(outcomes.good.turns[0].raw).toContain("Let me look around first.");
        expect(outcomes.good.usage.prompt_tokens).toBeGreaterThan(0);
        expect(outcomes.silent.outcome).toBe("no-terminal");
        expect(outcomes.silent.turns).toHaveLength(12);
        expect(outcomes.forger.outcome).toBe("wrong-state");
        expect(outcomes.forger.checker.output).not.toContain("forger alive");
        expect(outcomes.snoop.outcome).toBe("wrong-state");
        expect(outcomes.snoop.turns[2].truncated).toBe(true);
        expect(outcomes.snoop.turns[2].output).toContain("more bytes of output cut");
        expect(outcomes.snoop.turns[2].output.length).toBeLessThan(6000);
        expect(JSON.stringify(outcomes.snoop)).not.toContain(bundle.checker.slice(0, 40));
        expect(existsSync(marker)).toBe(false);
        expect(outcomes.huge.outcome).toBe("no-terminal");
        expect(outcomes.huge.reason).toContain("longer than");
        expect(await labelled()).toBe(0);
      } finally {
        await server.close();
      }
    },
    600_000,
  );

  testWith(
    DOCKER,
    "kill -9 mid-run, then the same command: the same trajectories as an uninterrupted run; SIGINT exits 130 with no container left",
    async () => {
      const whole = tmp("whole");
      const w = await runCli(["rollout", bundles, "--out", whole, "--operator", "perturb", "--samples", "2", "--workers", "2"]);
      expect(w.code, w.stderr).toBe(0);
      const key = (f: string) =>
        jsonl(f)
          .map((t) => `${t.key} ${t.outcome} ${t.turns.map((x: any) => x.cmd).join(";")}`)
          .sort();

      const cut = tmp("cut");
      const args = ["rollout", bundles, "--out", cut, "--operator", "perturb", "--samples", "2", "--workers", "2"];
      const proc = Bun.spawn([...binCommand(), ...args], { cwd: ROOT, env: cleanEnv(), stdout: "ignore", stderr: "ignore" });
      const journal = join(cut, "rollout/journal.jsonl");
      for (let i = 0; i < 600 && !(existsSync(journal) && readFileSync(journal, "utf8").split("\n").length > 3); i++) await Bun.sleep(100);
      proc.kill("SIGKILL");
      await proc.exited;
      const again = await runCli(args);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain("resuming");
      expect(key(join(cut, "rollout/trajectories.jsonl"))).toEqual(key(join(whole, "rollout/trajectories.jsonl")));
      expect(jsonl(join(cut, "rollout/dpo.jsonl"))).toEqual(jsonl(join(whole, "rollout/dpo.jsonl")));
      expect(jsonl(join(cut, "rollout/kto.jsonl"))).toEqual(jsonl(join(whole, "rollout/kto.jsonl")));
      expect(jsonl(join(cut, "rollout/kto-steps.jsonl"))).toEqual(jsonl(join(whole, "rollout/kto-steps.jsonl")));

      const int = tmp("int");
      const p2 = Bun.spawn([...binCommand(), "rollout", bundles, "--out", int, "--operator", "perturb", "--samples", "3"], {
        cwd: ROOT,
        env: cleanEnv(),
        stdout: "ignore",
        stderr: "pipe",
      });
      while ((await labelled(p2.pid)) === 0) await Bun.sleep(25);
      p2.kill("SIGINT");
      expect(await p2.exited).toBe(130);
      expect(await labelled(p2.pid)).toBe(0);
      expect(existsSync(join(int, "rollout/manifest.json"))).toBe(false);
    },
    600_000,
  );
});
