import type { RunContext } from "../context.ts";
import { ChatClient } from "../llm/chat.ts";
import { addUsage, type TokenLedger, type TokenUsage, zeroUsage } from "../llm/ledger.ts";
import type { Limiter } from "../llm/limiter.ts";
import type { Bundle } from "../shell/bundle.ts";
import { PERTURBATIONS, perturbationOf } from "./perturb.ts";
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
  /** `variant` overrides the sample's own (perturb: a retry after a perturbation that still passed). */
  start(bundle: Bundle, sample: number, variant?: string): OperatorSession;
}

/** Plays a fixed command list; stops when it runs out, or with `loop` plays its last command until the episode ends. */
function scripted(commands: string[], loop = false): OperatorSession {
  let i = 0;
  return {
    usage: zeroUsage(),
    async next() {
      if (loop && i >= commands.length && commands.length) return { kind: "command", cmd: commands.at(-1)! };
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

export const perturbOperator: Operator = {
  name: "perturb",
  model: "builtin:perturb",
  deterministic: true,
  variant: perturbationOf,
  start(bundle, sample, variant) {
    const name = variant ?? perturbationOf(bundle, sample);
    const moves = name ? PERTURBATIONS[name]!(bundle)! : { commands: [] };
    return scripted(moves.commands, moves.loop);
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
