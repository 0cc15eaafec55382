import { chatMessages, RUN_COMMAND_TOOL, type ToolArguments, toolMessages, type Trajectory } from "./record.ts";

export type Format = "chat" | "tools";

export type Msg = Record<string, unknown>;

/** A sample's conversation in the chosen format (deploy-format chat, or OpenAI tool calls). */
export function messagesOf(t: Pick<Trajectory, "login" | "turns" | "terminal">, format: Format, args: ToolArguments): Msg[] {
  return format === "tools" ? toolMessages(t, args) : (chatMessages(t) as Msg[]);
}

/** A training line in the chosen format: the fields (chat), or the fields and `tools` (tools). */
export function line(format: Format, fields: Record<string, unknown>): Record<string, unknown> {
  return format === "tools" ? { ...fields, tools: [RUN_COMMAND_TOOL] } : fields;
}

/** Index of the first message where two conversations differ, or -1 when they are the same. */
export function firstDifference(a: Msg[], b: Msg[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) return i;
  return a.length === b.length ? -1 : n;
}

/** Where a reject first parts from a keeper at an assistant turn (the first keeper it does), or null. */
export function divergence(keepers: Msg[][], reject: Msg[]): { keeper: Msg[]; at: number } | null {
  for (const keeper of keepers) {
    const at = firstDifference(keeper, reject);
    if (at >= 0 && keeper[at]?.role === "assistant" && reject[at]?.role === "assistant") return { keeper, at };
  }
  return null;
}

/**
 * Step-level KTO lines of one bundle (TRL's prompt/completion/label, the prompt the conversation so far, the
 * completion one assistant turn): each turn of a reject before it parts from a keeper is desirable, the keeper's
 * turn there desirable too, and the reject's turn there undesirable. Turns after it are not judged (a step's
 * label is only as good as the evidence for it). A reject that parts from no keeper at an assistant turn gives
 * none; the same step twice (rejects share their prefixes) is one line.
 */
export function stepLinesOf(keepers: Trajectory[], rejects: Trajectory[], format: Format, args: ToolArguments): Record<string, unknown>[] {
  const kept = keepers.map((k) => messagesOf(k, format, args));
  const out: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  const add = (prompt: Msg[], completion: Msg, label: boolean) => {
    const l = line(format, { prompt, completion: [completion], label });
    const key = JSON.stringify(l);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(l);
  };
  for (const r of rejects) {
    const rm = messagesOf(r, format, args);
    const d = divergence(kept, rm);
    if (!d) continue;
    for (let j = 0; j < d.at; j++) if (rm[j]!.role === "assistant") add(rm.slice(0, j), rm[j]!, true);
    add(rm.slice(0, d.at), d.keeper[d.at]!, true);
    add(rm.slice(0, d.at), rm[d.at]!, false);
  }
  return out;
}

/** Every step the samples took, as its conversation up to and with that assistant turn, to whether a failed sample took it. */
export function stepIndex(samples: Trajectory[], format: Format, args: ToolArguments): Map<string, boolean> {
  const index = new Map<string, boolean>();
  for (const t of samples) {
    const m = messagesOf(t, format, args);
    m.forEach((msg, j) => {
      if (msg.role !== "assistant") return;
      const key = JSON.stringify(m.slice(0, j + 1));
      index.set(key, (index.get(key) ?? false) || t.outcome !== "success");
    });
  }
  return index;
}

/**
 * Whether a step line is a step some sample of the directory really took, with a label its outcome allows: every
 * `{prompt, completion}` must be a recorded conversation up to one of its assistant turns; an undesirable one must
 * have been taken by a sample that failed. `verify` reads the kto-steps files with it.
 */
export function stepProblem(l: Record<string, unknown>, index: Map<string, boolean>): string | null {
  const prompt = l.prompt as Msg[] | undefined;
  const completion = l.completion as Msg[] | undefined;
  if (!Array.isArray(prompt) || !Array.isArray(completion) || completion.length !== 1 || typeof l.label !== "boolean")
    return "not a step line: prompt, completion (one assistant turn) and label";
  const failed = index.get(JSON.stringify([...prompt, ...completion]));
  if (failed === undefined) return "no recorded sample took this step";
  if (l.label === false && !failed) return "an undesirable step that only passing samples took";
  return null;
}
