import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { atifOf, atifPath, atifProblems, writeAtifFiles } from "../../src/rollout/atif.ts";
import { RUN_COMMAND_TOOL, type Trajectory } from "../../src/rollout/record.ts";

const BUNDLE = "0123456789abcdef0123";

/** A model sample: two commands, the terminal, the tokens of each of its three requests. */
function modelSample(over: Partial<Trajectory> = {}): Trajectory {
  return {
    key: `${BUNDLE}#model#2`,
    bundle_id: BUNDLE,
    cell: { task: "file_content", difficulty: "single" },
    sample: 2,
    operator: "model",
    variant: "model",
    model: "smollm2-135m",
    scaffold_version: "scaffold/1",
    login: "Welcome.\n$ ",
    started_at: "2026-12-03T19:00:00.000Z",
    turns: [
      {
        cmd: "cat /etc/motd",
        raw: "Let me look.\n```sh\ncat /etc/motd\n```",
        exit_code: 0,
        output: "see queue\n$ ",
        truncated: false,
        ms: 12,
        at: "2026-12-03T19:00:01.000Z",
      },
      { cmd: "queue done 1", raw: "queue done 1", exit_code: 3, output: "no such item\n$ ", truncated: true, ms: 8, at: "2026-12-03T19:00:02.500Z" },
    ],
    terminal: "exit",
    terminal_at: "2026-12-03T19:00:03.000Z",
    terminal_raw: "Done.\n```sh\nexit\n```",
    outcome: "wrong-state",
    keep: false,
    checker: { exit_code: 1, output: "item 1 still pending" },
    usage: { prompt_tokens: 300, completion_tokens: 30 },
    calls: [
      { prompt_tokens: 80, completion_tokens: 15, seconds: 0.5 },
      { prompt_tokens: 100, completion_tokens: 10, seconds: 0.25 },
      { prompt_tokens: 120, completion_tokens: 5, seconds: 0.125 },
    ],
    timings: { ready_ms: 400, total_ms: 3100 },
    ...over,
  };
}

const KNOWN = {
  root: [
    "schema_version",
    "session_id",
    "trajectory_id",
    "agent",
    "steps",
    "notes",
    "final_metrics",
    "continued_trajectory_ref",
    "extra",
    "subagent_trajectories",
  ],
  agent: ["name", "version", "model_name", "tool_definitions", "extra"],
  step: [
    "step_id",
    "timestamp",
    "source",
    "model_name",
    "reasoning_effort",
    "message",
    "reasoning_content",
    "tool_calls",
    "observation",
    "metrics",
    "is_copied_context",
    "llm_call_count",
    "extra",
  ],
  call: ["tool_call_id", "function_name", "arguments", "extra"],
  result: ["source_call_id", "content", "subagent_trajectory_ref", "extra"],
  metrics: ["prompt_tokens", "completion_tokens", "cached_tokens", "cost_usd", "prompt_token_ids", "completion_token_ids", "logprobs", "extra"],
  final: ["total_prompt_tokens", "total_completion_tokens", "total_cached_tokens", "total_cost_usd", "total_steps", "extra"],
};
const keysWithin = (o: object, allowed: string[]) => expect(Object.keys(o).filter((k) => !allowed.includes(k))).toEqual([]);

/** The rules of harbor.models.trajectories (0.25.0) a writer can break: unknown keys, required fields, ids, agent-only fields. */
function expectAtif(a: any): void {
  keysWithin(a, KNOWN.root);
  expect(a.schema_version).toBe("ATIF-v1.8");
  keysWithin(a.agent, KNOWN.agent);
  expect(typeof a.agent.name).toBe("string");
  expect(typeof a.agent.version).toBe("string");
  expect(a.steps.length).toBeGreaterThan(0);
  keysWithin(a.final_metrics, KNOWN.final);
  a.steps.forEach((s: any, i: number) => {
    keysWithin(s, KNOWN.step);
    expect(s.step_id).toBe(i + 1);
    expect(["system", "user", "agent"]).toContain(s.source);
    expect(typeof s.message).toBe("string");
    if (s.timestamp !== undefined) expect(new Date(s.timestamp).toISOString()).toBe(s.timestamp);
    if (s.source !== "agent") for (const k of ["model_name", "reasoning_effort", "reasoning_content", "tool_calls", "metrics"]) expect(s[k]).toBeUndefined();
    if (s.llm_call_count === 0) expect(s.metrics).toBeUndefined();
    for (const c of s.tool_calls ?? []) {
      keysWithin(c, KNOWN.call);
      expect(typeof c.tool_call_id).toBe("string");
      expect(typeof c.function_name).toBe("string");
      expect(typeof c.arguments).toBe("object");
    }
    if (s.metrics) keysWithin(s.metrics, KNOWN.metrics);
    const ids = new Set((s.tool_calls ?? []).map((c: any) => c.tool_call_id));
    for (const r of s.observation?.results ?? []) {
      keysWithin(r, KNOWN.result);
      if (r.source_call_id !== undefined) expect(ids.has(r.source_call_id)).toBe(true);
    }
  });
}

test("a model sample: login as the user step, each command a run_command call with its screen, the terminal last; tokens per request", () => {
  const t = modelSample();
  const a = atifOf(t, "9.9.9");
  expectAtif(a);
  expect(a.session_id).toBe(t.key);
  expect(a.agent).toEqual({
    name: "sekft-model",
    version: "9.9.9",
    model_name: "smollm2-135m",
    tool_definitions: [RUN_COMMAND_TOOL as any],
    extra: { operator: "model", variant: "model", scaffold_version: "scaffold/1" },
  });
  expect(a.steps.map((s) => s.source)).toEqual(["user", "agent", "agent", "agent"]);
  expect(a.steps[0]).toEqual({ step_id: 1, timestamp: "2026-12-03T19:00:00.400Z", source: "user", message: "Welcome.\n$ " });
  expect(a.steps[1]).toEqual({
    step_id: 2,
    timestamp: "2026-12-03T19:00:01.000Z",
    source: "agent",
    message: "Let me look.\n```sh\ncat /etc/motd\n```",
    tool_calls: [{ tool_call_id: "call_0", function_name: "run_command", arguments: { command: "cat /etc/motd" }, extra: { ms: 12 } }],
    observation: { results: [{ source_call_id: "call_0", content: "see queue\n$ ", extra: { exit_code: 0, truncated: false } }] },
    llm_call_count: 1,
    metrics: { prompt_tokens: 80, completion_tokens: 15, extra: { seconds: 0.5 } },
  });
  expect(a.steps[2]!.observation!.results[0]).toEqual({ source_call_id: "call_1", content: "no such item\n$ ", extra: { exit_code: 3, truncated: true } });
  // The terminal: a last call, answered by no screen.
  expect(a.steps[3]!.tool_calls).toEqual([{ tool_call_id: "call_2", function_name: "run_command", arguments: { command: "exit" }, extra: { terminal: true } }]);
  expect(a.steps[3]!.observation).toBeUndefined();
  expect(a.steps[3]!.message).toBe("Done.\n```sh\nexit\n```");
  expect(a.steps[3]!.timestamp).toBe("2026-12-03T19:00:03.000Z");
  expect(a.steps[3]!.metrics?.prompt_tokens).toBe(120);
  // Step metrics add up to the sample's ledger.
  expect(a.steps.reduce((n, s) => n + (s.metrics?.prompt_tokens ?? 0), 0)).toBe(t.usage.prompt_tokens);
  expect(a.final_metrics).toEqual({ total_prompt_tokens: 300, total_completion_tokens: 30, total_steps: 4, extra: { requests: 3, model_seconds: 0.875 } });
  expect(a.extra).toMatchObject({ key: t.key, bundle_id: BUNDLE, outcome: "wrong-state", keep: false, terminal: "exit", checker: t.checker });
  // Tool call ids are unique over the trajectory and each observation answers the call of its own step.
  const ids = a.steps.flatMap((s) => (s.tool_calls ?? []).map((c) => c.tool_call_id));
  expect(new Set(ids).size).toBe(ids.length);
});

test("a scripted sample: no model calls (llm_call_count 0, no metrics), the operator's builtin name as model; no times in an old record", () => {
  const t = modelSample({
    key: `${BUNDLE}#reference#0`,
    operator: "reference",
    variant: "reference",
    model: "builtin:reference",
    scaffold_version: "none",
    turns: [{ cmd: "ls", exit_code: 0, output: "a\n$ ", truncated: false, ms: 3 }],
    terminal: 'panic "blocked"',
    terminal_raw: undefined,
    outcome: "success",
    keep: true,
    usage: { prompt_tokens: 0, completion_tokens: 0 },
    calls: undefined,
    started_at: undefined,
    terminal_at: undefined,
  });
  const a = atifOf(t);
  expectAtif(a);
  expect(a.agent.name).toBe("sekft-reference");
  expect(a.agent.model_name).toBe("builtin:reference");
  expect(a.steps.map((s) => [s.source, s.llm_call_count, s.metrics, s.timestamp, s.message])).toEqual([
    ["user", undefined, undefined, undefined, "Welcome.\n$ "],
    ["agent", 0, undefined, undefined, ""],
    ["agent", 0, undefined, undefined, ""],
  ]);
  expect(a.steps[2]!.tool_calls![0]!.arguments).toEqual({ command: 'panic "blocked"' });
  expect(a.final_metrics).toEqual({ total_prompt_tokens: 0, total_completion_tokens: 0, total_steps: 3 });
  expect(a.extra.outcome).toBe("success");
});

test("a model whose last reply held no command: a step for that request's tokens, no call; no terminal, no terminal step", () => {
  const t = modelSample({
    terminal: null,
    terminal_at: undefined,
    terminal_raw: undefined,
    stop_raw: "I am not sure what to do.",
    reason: "invalid reply: the reply holds no command",
    outcome: "no-terminal",
  });
  const a = atifOf(t);
  expectAtif(a);
  expect(a.steps).toHaveLength(4);
  expect(a.steps[3]).toEqual({
    step_id: 4,
    source: "agent",
    message: "I am not sure what to do.",
    llm_call_count: 1,
    metrics: { prompt_tokens: 120, completion_tokens: 5, extra: { seconds: 0.125 } },
    extra: { no_command: "invalid reply: the reply holds no command" },
  });
  expect(a.extra.terminal).toBeNull();
});

test("the file layout is a Harbor trial's agent/trajectory.json per sample; a record naming a path is refused", () => {
  expect(atifPath(modelSample())).toBe(`atif/${BUNDLE}-model-2/agent/trajectory.json`);
  expect(() => atifPath({ bundle_id: "../../etc", operator: "model", sample: 0 })).toThrow(/not a bundle id/);
  expect(() => atifPath({ bundle_id: BUNDLE, operator: "a/b", sample: 0 })).toThrow(/not a bundle id/);
});

test("written files are what verify expects; a missing, edited or unparsable file is one problem naming its line", () => {
  const dir = mkdtempSync(join(tmpdir(), "sekft-atif-"));
  try {
    const a = modelSample();
    const b = modelSample({ key: `${BUNDLE}#model#3`, sample: 3 });
    mkdirSync(join(dir, "atif/stale-model-9/agent"), { recursive: true });
    writeFileSync(join(dir, "atif/stale-model-9/agent/trajectory.json"), "{}");
    const files = writeAtifFiles(dir, [a, b]);
    expect(files).toEqual([atifPath(a), atifPath(b)]);
    // The tree is rebuilt whole: a file of a sample no longer decided is gone.
    expect(() => readFileSync(join(dir, "atif/stale-model-9/agent/trajectory.json"))).toThrow();
    expect(JSON.parse(readFileSync(join(dir, files[0]!), "utf8"))).toEqual(JSON.parse(JSON.stringify(atifOf(a))));
    const rows = [
      { line: 1, value: a },
      { line: 2, value: b },
    ];
    expect(atifProblems(dir, rows, "0.0.0")).toHaveLength(2); // another sekft version: both differ
    const version = atifOf(a).agent.version;
    expect(atifProblems(dir, rows, version)).toEqual([]);
    const edited = atifOf(a);
    edited.extra.outcome = "success";
    writeFileSync(join(dir, files[0]!), JSON.stringify(edited));
    writeFileSync(join(dir, files[1]!), "{");
    expect(atifProblems(dir, rows, version).map((p) => [p.line, p.why.split(":")[0]])).toEqual([
      [1, "differs from what its trajectories.jsonl line gives"],
      [2, "does not parse"],
    ]);
    rmSync(join(dir, files[1]!));
    expect(atifProblems(dir, rows, version)[1]).toEqual({ line: 2, file: files[1]!, why: "missing" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
