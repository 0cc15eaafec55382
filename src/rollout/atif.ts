import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { canonical } from "../dataset/hash.ts";
import { InputError } from "../errors.ts";
import { READ_LIMITS, readBoundedText, resolveInside } from "../files.ts";
import { VERSION } from "../version.ts";
import { RUN_COMMAND_TOOL, type Trajectory } from "./record.ts";

/**
 * A sample as Harbor's Agent Trajectory Interchange Format, the fields of `harbor.models.trajectories` (harbor
 * 0.25.0) that sekft fills. Every object there forbids unknown keys, so nothing else may appear.
 */
export const ATIF_SCHEMA_VERSION = "ATIF-v1.8";

export interface AtifToolCall {
  tool_call_id: string;
  function_name: string;
  arguments: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

export interface AtifObservationResult {
  source_call_id?: string;
  content?: string;
  extra?: Record<string, unknown>;
}

export interface AtifMetrics {
  prompt_tokens?: number;
  completion_tokens?: number;
  extra?: Record<string, unknown>;
}

export interface AtifStep {
  /** 1, 2, 3, … in order: Harbor refuses any other sequence. */
  step_id: number;
  timestamp?: string;
  source: "system" | "user" | "agent";
  message: string;
  /** Agent steps only (Harbor refuses tool calls or metrics on another source). */
  tool_calls?: AtifToolCall[];
  observation?: { results: AtifObservationResult[] };
  metrics?: AtifMetrics;
  /** 0: a scripted operator's move, no model call (then no metrics); 1: one model request. */
  llm_call_count?: number;
  extra?: Record<string, unknown>;
}

export interface AtifTrajectory {
  schema_version: typeof ATIF_SCHEMA_VERSION;
  session_id: string;
  agent: {
    name: string;
    version: string;
    model_name: string;
    tool_definitions: Record<string, unknown>[];
    extra?: Record<string, unknown>;
  };
  steps: AtifStep[];
  notes?: string;
  final_metrics: {
    total_prompt_tokens: number;
    total_completion_tokens: number;
    total_steps: number;
    extra?: Record<string, unknown>;
  };
  extra: Record<string, unknown>;
}

/**
 * Where a sample's ATIF file lives under `OUT/rollout/`: one directory per sample laid out as a Harbor trial
 * (`<trial>/agent/trajectory.json`). Bundle ids are hex and operator names fixed words, so the name is a safe path part.
 */
export function atifPath(t: Pick<Trajectory, "bundle_id" | "operator" | "sample">): string {
  if (!/^[0-9a-f]{16,64}$/.test(t.bundle_id) || !/^[a-z]+$/.test(t.operator) || !Number.isSafeInteger(t.sample) || t.sample < 0)
    throw new InputError(`sample ${JSON.stringify(`${t.bundle_id}#${t.operator}#${t.sample}`)}: not a bundle id, operator and sample number`);
  return `atif/${t.bundle_id}-${t.operator}-${t.sample}/agent/trajectory.json`;
}

const NOTES =
  "A sekft rollout sample: step 1 is the login screen; each agent step is one command, as a run_command tool call " +
  "whose observation is the screen it left; a last call without observation is the terminal (exit or panic), which " +
  "ends the session. A model operator's system prompt (the scaffold) is not recorded. extra.outcome is the checker's verdict.";

/** The instant `ms` milliseconds after an ISO time, or undefined when the record has no time (made before times were kept). */
function after(iso: string | undefined, ms: number): string | undefined {
  return iso === undefined ? undefined : new Date(Date.parse(iso) + ms).toISOString();
}

/**
 * The ATIF trajectory of one sample record, a pure function of it: the login screen as a user step, each
 * command as an agent step holding one `run_command` call (`call_<i>`, the ids the tools format uses) and its
 * screen as the observation of that call, the terminal as a last call, then (a model whose last reply held no
 * command) a step for that reply's tokens. `version` is the sekft that made the record (the manifest's, on verify). Tokens come from the record's per-request ledger; sekft knows no
 * prices, so no cost is given. The outcome, checker and labels are in the root `extra`.
 */
export function atifOf(t: Trajectory, version: string = VERSION): AtifTrajectory {
  const scripted = t.operator !== "model";
  const calls = t.calls ?? [];
  const agentStep = (i: number): Pick<AtifStep, "llm_call_count" | "metrics"> => {
    if (scripted) return { llm_call_count: 0 };
    const c = calls[i];
    if (!c) return {};
    return { llm_call_count: 1, metrics: { prompt_tokens: c.prompt_tokens, completion_tokens: c.completion_tokens, extra: { seconds: c.seconds } } };
  };
  const call = (i: number, command: string, extra: Record<string, unknown>): AtifToolCall => ({
    tool_call_id: `call_${i}`,
    function_name: RUN_COMMAND_TOOL.function.name,
    arguments: { command },
    extra,
  });
  const stamp = (iso: string | undefined) => (iso === undefined ? {} : { timestamp: iso });
  const steps: AtifStep[] = [{ step_id: 1, ...stamp(after(t.started_at, t.timings.ready_ms)), source: "user", message: t.login }];
  t.turns.forEach((turn, i) => {
    steps.push({
      step_id: steps.length + 1,
      ...stamp(turn.at),
      source: "agent",
      message: turn.raw ?? "",
      tool_calls: [call(i, turn.cmd, { ms: turn.ms })],
      observation: { results: [{ source_call_id: `call_${i}`, content: turn.output, extra: { exit_code: turn.exit_code, truncated: turn.truncated } }] },
      ...agentStep(i),
    });
  });
  let moves = t.turns.length;
  if (t.terminal !== null) {
    steps.push({
      step_id: steps.length + 1,
      ...stamp(t.terminal_at),
      source: "agent",
      message: t.terminal_raw ?? "",
      tool_calls: [call(moves, t.terminal, { terminal: true })],
      ...agentStep(moves),
    });
    moves++;
  }
  // Model requests past the moves: replies that held no command (the sample stopped on them).
  for (let i = moves; !scripted && i < calls.length; i++) {
    const message = i === calls.length - 1 ? (t.stop_raw ?? "") : "";
    steps.push({ step_id: steps.length + 1, source: "agent", message, ...agentStep(i), extra: { no_command: t.reason ?? "the reply held no command" } });
  }
  const seconds = Math.round(calls.reduce((a, c) => a + c.seconds, 0) * 1000) / 1000;
  return {
    schema_version: ATIF_SCHEMA_VERSION,
    session_id: t.key,
    agent: {
      name: `sekft-${t.operator}`,
      version,
      model_name: t.model,
      tool_definitions: [structuredClone(RUN_COMMAND_TOOL) as unknown as Record<string, unknown>],
      extra: { operator: t.operator, variant: t.variant, scaffold_version: t.scaffold_version },
    },
    steps,
    notes: NOTES,
    final_metrics: {
      total_prompt_tokens: t.usage.prompt_tokens,
      total_completion_tokens: t.usage.completion_tokens,
      total_steps: steps.length,
      ...(scripted ? {} : { extra: { requests: calls.length, model_seconds: seconds } }),
    },
    extra: {
      key: t.key,
      bundle_id: t.bundle_id,
      cell: t.cell,
      sample: t.sample,
      outcome: t.outcome,
      keep: t.keep,
      terminal: t.terminal,
      ...(t.dropped !== undefined ? { dropped: t.dropped } : {}),
      ...(t.reason !== undefined ? { reason: t.reason } : {}),
      checker: t.checker,
      timings: t.timings,
    },
  };
}

/**
 * Rebuilds `DIR/atif/` from the decided samples: every file written into `atif.partial/`, which then replaces
 * the old tree whole (a sample retried since the last run leaves no stale file). Returns the paths, relative
 * to DIR, for the manifest (which is written after, so a torn tree never matches it).
 */
export function writeAtifFiles(dir: string, trajectories: readonly Trajectory[]): string[] {
  const partial = join(dir, "atif.partial");
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const files: string[] = [];
  for (const t of trajectories) {
    const file = atifPath(t);
    const target = join(partial, file.slice("atif/".length));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, `${JSON.stringify(atifOf(t), null, 2)}\n`);
    files.push(file);
  }
  rmSync(join(dir, "atif"), { recursive: true, force: true });
  renameSync(partial, join(dir, "atif"));
  return files;
}

/**
 * `verify`'s check of the ATIF files against `trajectories.jsonl`: each sample's file exists inside DIR and holds
 * exactly what {@link atifOf} makes of its line (with the manifest's sekft version). Returns one problem per sample.
 */
export function atifProblems(
  dir: string,
  rows: readonly { line: number; value: Trajectory }[],
  version: string,
): { line: number; file: string; why: string }[] {
  const out: { line: number; file: string; why: string }[] = [];
  for (const { line, value: t } of rows) {
    let rel: string;
    try {
      rel = atifPath(t);
    } catch (error) {
      out.push({ line, file: "atif/", why: (error as Error).message });
      continue;
    }
    const found = resolveInside(dir, rel);
    if (!found.ok || !found.exists) {
      out.push({ line, file: rel, why: found.ok ? "missing" : `${found.why}: refused` });
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(readBoundedText(found.path, READ_LIMITS.bundle, "ATIF trajectory"));
    } catch (error) {
      out.push({ line, file: rel, why: `does not parse: ${(error as Error).message}` });
      continue;
    }
    if (canonical(parsed) !== canonical(JSON.parse(JSON.stringify(atifOf(t, version)))))
      out.push({ line, file: rel, why: "differs from what its trajectories.jsonl line gives" });
  }
  return out;
}
