import { STATE_DIR, type ExecResult, type Sandbox } from "./container.ts";

/** How a session ended: a terminal the operator chose, or none (the commands ran out). */
export type Terminal = { kind: "exit"; code: number } | { kind: "panic"; message: string } | { kind: "none" };

/** One command of an episode and what it printed. */
export interface Turn extends ExecResult {
  cmd: string;
}

export interface SessionOptions {
  commandTimeoutMs: number;
  maxOutput: number;
  /** Names the container starts with; unset before the saved environment is replayed so `unset` persists. */
  baseEnvNames: string[];
}

/** Parses `exit [N]` / `logout` / `panic [message]`; anything else is a command to run. */
export function parseTerminal(cmd: string): Terminal | undefined {
  const t = cmd.trim();
  const exit = /^(?:exit|logout)(?:\s+(\d+))?\s*;?$/.exec(t);
  if (exit) return { kind: "exit", code: Number(exit[1] ?? 0) };
  const panic = /^panic(?:\s+([\s\S]*))?$/.exec(t);
  if (panic) return { kind: "panic", message: unquote(panic[1]?.trim() ?? "") };
  return undefined;
}

function unquote(s: string): string {
  const m = /^(["'])([\s\S]*)\1$/.exec(s);
  return m ? m[2]! : s;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The dash wrapper, one line: restore cwd and exported env, save both on any exit. The command follows it on the same
 * line of one `sh -c` script (`commandScript`), not through `eval`, so the shell reports errors as a login shell would
 * (`sh: 1: sudo: not found`, never `eval: sudo: …`); the command is code by design (the operator's), as it was under eval.
 */
export function wrapperScript(baseEnvNames: string[]): string {
  const names = baseEnvNames.filter((n) => NAME.test(n)).join(" ");
  return [
    `if [ -f ${STATE_DIR}/env ]; then unset ${names} 2>/dev/null; . ${STATE_DIR}/env; fi`,
    `if [ -f ${STATE_DIR}/pwd ]; then read -r __sekft_d < ${STATE_DIR}/pwd; cd "$__sekft_d" 2>/dev/null; unset __sekft_d; fi`,
    `__sekft_save() { __sekft_rc=$?; pwd > ${STATE_DIR}/pwd 2>/dev/null; export -p > ${STATE_DIR}/env 2>/dev/null; exit $__sekft_rc; }`,
    "trap __sekft_save EXIT",
  ].join("; ");
}

/** The `sh -c` script of one turn: the wrapper, then the command from the same line on (its line 1 is the script's). */
export function commandScript(wrapper: string, cmd: string): string {
  return `${wrapper}; ${cmd}`;
}

/** An operator session: each command its own `docker exec` of `sh -c`, with cwd and env replayed. */
export class Session {
  readonly turns: Turn[] = [];
  terminal: Terminal = { kind: "none" };
  private readonly wrapper: string;

  constructor(
    private readonly sandbox: Sandbox,
    private readonly opts: SessionOptions,
  ) {
    this.wrapper = wrapperScript(opts.baseEnvNames);
  }

  get ended(): boolean {
    return this.terminal.kind !== "none";
  }

  /** Runs one command, or records the terminal it names; commands after a terminal are refused. */
  async run(cmd: string): Promise<Turn | Terminal> {
    if (this.ended) throw new Error("the session has ended");
    const terminal = parseTerminal(cmd);
    if (terminal) {
      this.terminal = terminal;
      return terminal;
    }
    // No in-container `timeout`: it kills only the shell, and children holding stdout keep the exec open.
    const argv = ["sh", "-c", commandScript(this.wrapper, cmd)];
    const result = await this.sandbox.exec(argv, { maxOutput: this.opts.maxOutput, timeoutMs: this.opts.commandTimeoutMs });
    const turn = { cmd, ...result };
    this.turns.push(turn);
    return turn;
  }
}
