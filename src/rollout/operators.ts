import type { RunContext } from "../context.ts";
import { ChatClient } from "../llm/chat.ts";
import { addUsage, type TokenLedger, type TokenUsage, zeroUsage } from "../llm/ledger.ts";
import type { Limiter } from "../llm/limiter.ts";
import type { Bundle } from "../shell/bundle.ts";
import { mutate } from "../shell/gate.ts";
import { shellQuote as q } from "../proc/shell.ts";
import { commandOf, type Exchange, ONE_COMMAND_NOTE, operatorMessages, saidAs } from "./reply.ts";

/** What an operator does next: run a command (or a terminal), or stop without one. */
export type Move =
  | { kind: "command"; cmd: string; raw?: string }
  | { kind: "stop"; reason: string; raw?: string }
  | { kind: "infra"; reason: string }
  | { kind: "aborted" };

/** One operator acting in one sample: told what the screen shows, answers with its next move. */
export interface OperatorSession {
  next(screen: string, signal: AbortSignal): Promise<Move>;
  readonly usage: TokenUsage;
  /** Each model request of the sample: its tokens and seconds (model operator only). */
  readonly calls?: readonly ModelCall[];
}

/** One model request of a sample, as the trajectory records it. */
export type ModelCall = TokenUsage & { seconds: number };

/** An operator kind; `variant` names a perturbation (perturb only). */
export interface Operator {
  name: "model" | "reference" | "perturb";
  /** The model, or the builtin name for scripted operators. */
  model: string;
  /** Same bundle and sample always give the same moves (resume must reproduce them). */
  deterministic: boolean;
  /** A perturbation this sample uses, or null when none applies (the sample is skipped). */
  variant(bundle: Bundle, sample: number): string | null;
  start(bundle: Bundle, sample: number): OperatorSession;
}

/** Plays a fixed command list; stops when it runs out. */
function scripted(commands: string[]): OperatorSession {
  let i = 0;
  return {
    usage: zeroUsage(),
    async next() {
      return i < commands.length ? { kind: "command", cmd: commands[i++]! } : { kind: "stop", reason: "the script ran out of commands" };
    },
  };
}

/** The gold trajectory: the bundle's reference solution, replayed. */
export const referenceOperator: Operator = {
  name: "reference",
  model: "builtin:reference",
  deterministic: true,
  variant: () => "reference",
  start: (bundle) => scripted(bundle.reference.map((s) => s.cmd)),
};

/**
 * Realistic mistakes, each executed for real: the checker, not this code, decides what they did. A variant
 * that does not apply to a bundle's cell is skipped (null), so every sample is a real attempt at a mistake.
 */
export const PERTURBATIONS: Record<string, (b: Bundle) => string[] | null> = {
  // Act without reading the provider's documentation or the directives: guess from the workspace alone.
  "skip-docs": (b) => {
    const first = b.reference.findIndex((s) => s.work);
    if (first <= 0) return null;
    return b.reference.filter((s, i) => i >= first || /^(cd|ls)\b/.test(s.cmd)).map((s) => s.cmd);
  },
  // Stop before the last working command and end the session anyway (the gate's own mutant).
  "stop-early": (b) => {
    const m = mutate(b.cell, b);
    return "error" in m || b.cell.difficulty === "empty_queue" ? null : m.commands;
  },
  // `exit` where `panic` is right, `panic` where the work was possible.
  "wrong-terminal": (b) => {
    const cmds = b.reference.map((s) => s.cmd);
    const last = b.terminal === "panic" ? "exit" : `panic ${q("cannot carry out the directives")}`;
    return [...cmds.slice(0, -1), last];
  },
  // Give up before doing anything although work was possible.
  "give-up": (b) => {
    if (b.terminal === "panic" || b.cell.difficulty === "empty_queue") return null;
    const first = b.reference.findIndex((s) => s.work);
    return [...b.reference.slice(0, first).map((s) => s.cmd), `panic ${q("I do not know how to do this")}`];
  },
  // Act on an empty queue: carry out the tempting work nobody asked for (the bundle's decoy).
  "act-on-empty": (b) => {
    if (b.cell.difficulty !== "empty_queue" || b.decoy.length === 0) return null;
    const m = mutate(b.cell, b);
    return "error" in m ? null : m.commands;
  },
  // Carry out only the first directive, then end.
  "first-only": (b) => {
    const work = b.reference.flatMap((s, i) => (s.work ? [i] : []));
    if (b.cell.difficulty !== "multi" || work.length < 2) return null;
    return b.reference.filter((_, i) => !work.slice(1).includes(i)).map((s) => s.cmd);
  },
  // Carry out the directives in the wrong order.
  "wrong-order": (b) => {
    const work = b.reference.flatMap((s, i) => (s.work ? [i] : []));
    if (b.cell.difficulty !== "multi" || work.length < 2) return null;
    const cmds = b.reference.map((s) => s.cmd);
    const reversed = [...work].reverse();
    return cmds.map((c, i) => (work.includes(i) ? cmds[reversed[work.indexOf(i)]!]! : c));
  },
};

/** Applicable perturbations of a bundle, in a fixed order; sample k uses the k-th (cycling). */
export function perturbationsOf(bundle: Bundle): string[] {
  return Object.keys(PERTURBATIONS).filter((name) => PERTURBATIONS[name]!(bundle) !== null);
}

export const perturbOperator: Operator = {
  name: "perturb",
  model: "builtin:perturb",
  deterministic: true,
  variant(bundle, sample) {
    const names = perturbationsOf(bundle);
    return names.length ? names[sample % names.length]! : null;
  },
  start(bundle, sample) {
    const name = perturbOperator.variant(bundle, sample);
    return scripted(name ? PERTURBATIONS[name]!(bundle)! : []);
  },
};

/** The model operator: `[shell.operator]` through the openai client, one command per reply (`reply.ts`'s rule). */
export function modelOperator(ctx: RunContext, shared: { limiter: Limiter; ledger: TokenLedger }): Operator {
  const endpoint = ctx.config.shell.operator;
  const rollout = ctx.config.rollout;
  const chat = ChatClient.create(endpoint, ctx.env, { limiter: shared.limiter, ledger: shared.ledger });
  return {
    name: "model",
    model: endpoint.model,
    deterministic: false,
    variant: () => "model",
    start(bundle, sample) {
      // The scaffold is disposable: it steers the operator and is never recorded in training lines.
      let login: string | undefined;
      const exchanges: Exchange[] = [];
      // What the operator said last, waiting for the screen it left; and a note for that screen.
      let said: string | undefined;
      let note = "";
      let usage = zeroUsage();
      const calls: ModelCall[] = [];
      return {
        get usage() {
          return usage;
        },
        calls,
        async next(screen, signal) {
          if (login === undefined) login = screen;
          else if (said !== undefined) exchanges.push({ said, screen: note ? `${note}\n${screen}` : screen });
          said = undefined;
          note = "";
          if (usage.prompt_tokens + usage.completion_tokens >= rollout.max_tokens_per_sample) return { kind: "stop", reason: "token budget spent" };
          let reply: Awaited<ReturnType<ChatClient["send"]>>;
          try {
            const messages = operatorMessages(rollout.scaffold, login, exchanges);
            reply = await chat.send({ messages, maxTokens: rollout.reply_max_tokens, label: `${bundle.id}#${sample}`, signal });
          } catch (error) {
            if (signal.aborted) return { kind: "aborted" };
            throw error;
          }
          usage = addUsage(usage, reply.usage);
          calls.push({ ...reply.usage, seconds: reply.seconds });
          // The endpoint failed, not the model: the sample is an infra error, retried by the next run, never data.
          if (!reply.ok) return { kind: "infra", reason: reply.reason };
          const scrubbed = chat.scrub(reply.content);
          const raw = scrubbed.length > 65_536 ? `${scrubbed.slice(0, 65_536)}…` : scrubbed;
          const parsed = commandOf(reply.content, rollout.max_command_bytes);
          if ("invalid" in parsed) return { kind: "stop", reason: `invalid reply: ${parsed.invalid}`, raw };
          // Sent back as the command that ran, in the reply's own form: the history shows one command per turn.
          said = saidAs(parsed);
          if (parsed.dropped > 0) note = ONE_COMMAND_NOTE;
          return { kind: "command", cmd: chat.scrub(parsed.cmd), raw };
        },
      };
    },
  };
}
