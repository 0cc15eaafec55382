import type { ChatMessage } from "../dataset/chat.ts";

/**
 * The files of a rollout directory (`sekft rollout`'s OUT/rollout), named once: the SFT split under mlx-lm's names,
 * DPO pairs, KTO lines and step-level KTO lines of the train bundles and of the valid bundles, every sample, and the
 * pairs' provenance.
 */
export const ROLLOUT_FILES = {
  train: "train.jsonl",
  valid: "valid.jsonl",
  dpo: "dpo.jsonl",
  dpoValid: "dpo-valid.jsonl",
  dpoMeta: "dpo.meta.jsonl",
  kto: "kto.jsonl",
  ktoValid: "kto-valid.jsonl",
  ktoSteps: "kto-steps.jsonl",
  ktoStepsValid: "kto-steps-valid.jsonl",
  trajectories: "trajectories.jsonl",
  bundles: "bundles",
} as const;

/** One executed command of a sample. */
export interface TurnRecord {
  cmd: string;
  /** The model's whole reply (model operator only); never in training lines. */
  raw?: string;
  exit_code: number;
  /** What the operator was shown (cut past the configured size with a visible marker). */
  output: string;
  truncated: boolean;
  ms: number;
  /** When the command was sent to the shell (ISO 8601, UTC); absent in records made before times were kept. */
  at?: string;
}

export const OUTCOMES = ["success", "wrong-state", "wrong-terminal", "no-terminal", "stuck", "timeout", "infra-error"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** One sample as `trajectories.jsonl` holds it. */
export interface Trajectory {
  key: string;
  bundle_id: string;
  cell: Record<string, string>;
  sample: number;
  operator: string;
  variant: string;
  model: string;
  scaffold_version: string;
  login: string;
  turns: TurnRecord[];
  /** The terminal command as given (`exit`, `panic …`), or null when the sample ended without one. */
  terminal: string | null;
  /** When the sample started and when its terminal was sent (ISO 8601, UTC; the login screen is shown `ready_ms` after the start). */
  started_at?: string;
  terminal_at?: string;
  /** The model's whole reply that gave the terminal, or that held no command and ended the sample (model operator only). */
  terminal_raw?: string;
  stop_raw?: string;
  outcome: Outcome;
  keep: boolean;
  /** Why a passing sample is not kept (a perturbation that did not perturb), if so. */
  dropped?: string;
  /** perturb: the kinds this sample tried first that still passed (no mistake on this bundle), in order. */
  passed_kinds?: string[];
  reason?: string;
  checker: { exit_code: number; output: string } | null;
  usage: { prompt_tokens: number; completion_tokens: number };
  /** Each model request of the sample, in order: its tokens and wall-clock seconds (model operator only). */
  calls?: { prompt_tokens: number; completion_tokens: number; seconds: number }[];
  timings: { ready_ms: number; total_ms: number };
}

/** The screen after a command: its output (cut with a marker past `max` bytes) and the prompt line. */
export function screenOf(output: string, prompt: string, max: number): { text: string; truncated: boolean } {
  const bytes = Buffer.from(output);
  let text = output;
  let truncated = false;
  if (bytes.byteLength > max) {
    text = `${bytes
      .subarray(0, max)
      .toString("utf8")
      .replace(/\uFFFD+$/, "")}\n[… ${bytes.byteLength - max} more bytes of output cut …]\n`;
    truncated = true;
  }
  if (text && !text.endsWith("\n")) text += "\n";
  return { text: `${text}${prompt}`, truncated };
}

/** What the operator sees first: the login text and the prompt. */
export function loginScreen(login: string, prompt: string): string {
  return `${login}${login && !login.endsWith("\n") ? "\n" : ""}${prompt}`;
}

/**
 * The deploy-format conversation: environment text as `user` turns, exactly one command per `assistant` turn,
 * ending with the terminal. No scaffold, no model prose: what a deployed model sees and says.
 */
export function chatMessages(t: Pick<Trajectory, "login" | "turns" | "terminal">): ChatMessage[] {
  const out: ChatMessage[] = [{ role: "user", content: t.login }];
  for (const turn of t.turns) {
    out.push({ role: "assistant", content: turn.cmd });
    out.push({ role: "user", content: turn.output });
  }
  if (t.terminal !== null) out.push({ role: "assistant", content: t.terminal });
  return out;
}

/** The one tool of the tools format, with its JSON schema (OpenAI function-calling form). */
export const RUN_COMMAND_TOOL = {
  type: "function",
  function: {
    name: "run_command",
    description: "Run one shell command as user op and return what it printed; `exit` or `panic <reason>` ends the session.",
    parameters: { type: "object", properties: { command: { type: "string", description: "the command line" } }, required: ["command"] },
  },
} as const;

/**
 * How a tool call's `arguments` are written: `string`, a JSON text as the OpenAI API returns it; `object`, the
 * object itself, for chat templates (Qwen2.5, Llama 3) that `tojson` the arguments and would encode a string twice.
 */
export type ToolArguments = "string" | "object";

/** The same turns as OpenAI tool calls: assistant `tool_calls`, `tool` outputs; the terminal is a last call. */
export function toolMessages(t: Pick<Trajectory, "login" | "turns" | "terminal">, args: ToolArguments = "string"): Record<string, unknown>[] {
  const call = (i: number, command: string) => ({
    role: "assistant",
    content: "",
    tool_calls: [
      { id: `call_${i}`, type: "function", function: { name: "run_command", arguments: args === "object" ? { command } : JSON.stringify({ command }) } },
    ],
  });
  const out: Record<string, unknown>[] = [{ role: "user", content: t.login }];
  t.turns.forEach((turn, i) => {
    out.push(call(i, turn.cmd));
    out.push({ role: "tool", tool_call_id: `call_${i}`, content: turn.output });
  });
  if (t.terminal !== null) out.push(call(t.turns.length, t.terminal));
  return out;
}
