#!/usr/bin/env bun
import { defineCommand, renderUsage, runCommand, type CommandDef } from "citty";
import { stripAnsi } from "consola/utils";
import { fileError, SekftError, InterruptedError, UsageError } from "./errors.ts";
import { VERSION } from "./version.ts";
import { createLogger } from "./ui/logger.ts";
import { abortController, interruptExitCode } from "./signals.ts";
import { rejectUnknownFlags } from "./commands/_flags.ts";

// Commands load lazily so that `--help` never evaluates dockerode or openai.
const main = defineCommand({
  meta: { name: "sekft", version: VERSION, description: "Execution-verified fine-tuning data for tool-using models" },
  args: {
    verbose: { type: "boolean", description: "Show debug logs and error stacks" },
  },
  subCommands: {
    gen: () => import("./commands/gen.ts").then((m) => m.default),
    verify: () => import("./commands/verify.ts").then((m) => m.default),
    stats: () => import("./commands/stats.ts").then((m) => m.default),
    sandbox: () => import("./commands/sandbox.ts").then((m) => m.default),
    config: () => import("./commands/config.ts").then((m) => m.default),
    doctor: () => import("./commands/doctor.ts").then((m) => m.default),
    trace: () => import("./commands/trace.ts").then((m) => m.default),
    rollout: () => import("./commands/rollout.ts").then((m) => m.default),
    merge: () => import("./commands/merge.ts").then((m) => m.default),
    k8s: () => import("./commands/k8s.ts").then((m) => m.default),
    view: () => import("./commands/view.ts").then((m) => m.default),
    report: () => import("./commands/report.ts").then((m) => m.default),
    eval: () => import("./commands/eval.ts").then((m) => m.default),
    export: () => import("./commands/export.ts").then((m) => m.default),
    import: () => import("./commands/import.ts").then((m) => m.default),
  },
});

/** Walks subcommands the way citty does: the deepest command named, its parent, and the arguments after its name. */
async function resolveCommand(
  cmd: CommandDef<any>,
  args: string[],
  parent?: CommandDef<any>,
): Promise<{ cmd: CommandDef<any>; parent: CommandDef<any> | undefined; rest: string[] }> {
  const subs = typeof cmd.subCommands === "function" ? await cmd.subCommands() : await cmd.subCommands;
  const name = args.find((a) => !a.startsWith("-"));
  if (subs && name && name in subs) {
    const entry = subs[name] as unknown;
    const sub = (typeof entry === "function" ? await (entry as () => Promise<CommandDef<any>>)() : entry) as CommandDef<any>;
    return resolveCommand(sub, args.slice(args.indexOf(name) + 1), cmd);
  }
  return { cmd, parent, rest: args };
}

async function run(): Promise<number> {
  const rawArgs = process.argv.slice(2);
  const verbose = rawArgs.includes("--verbose");
  const log = createLogger({ verbose });
  try {
    if (rawArgs.length === 1 && (rawArgs[0] === "--version" || rawArgs[0] === "-v")) {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    const { cmd, parent, rest } = await resolveCommand(main, rawArgs);
    // A command group followed by a word that is none of its commands (`sekft nosuch --help`): never its help and 0.
    const unknown = cmd.subCommands ? rest.find((a) => !a.startsWith("-")) : undefined;
    if (rawArgs.length === 0 || unknown !== undefined) {
      await writeUsage(process.stderr, cmd, parent);
      throw new UsageError(unknown === undefined ? "no command given" : `unknown command "${unknown}"`);
    }
    if (rawArgs.includes("--help") || rawArgs.includes("-h")) {
      await writeUsage(process.stdout, cmd, parent);
      return 0;
    }
    // The one place unknown flags are refused: a typo never silently runs the default.
    const def = typeof cmd.args === "function" ? await cmd.args() : await cmd.args;
    if (!cmd.subCommands) rejectUnknownFlags(rest, def ?? {});
    await runCommand(main, { rawArgs });
    return abortController.signal.aborted ? interruptExitCode() : 0;
  } catch (error) {
    return report(error, log, verbose);
  }
}

/** A command's usage on STREAM, coloured only for a terminal and never under NO_COLOR (citty colours whatever the stream). */
async function writeUsage(stream: NodeJS.WriteStream, cmd: CommandDef<any>, parent: CommandDef<any> | undefined): Promise<void> {
  const text = await renderUsage(cmd, parent);
  const colour = Boolean(stream.isTTY) && !process.env.NO_COLOR;
  stream.write(`${colour ? text : stripAnsi(text)}\n\n`);
}

/** The one error formatter: message, hint, stack only with --verbose. */
function report(thrown: unknown, log: ReturnType<typeof createLogger>, verbose: boolean): number {
  // A file-system error that escaped its module still names its path and gets its exit code (ENOTDIR: 2, ENOSPC: 1).
  const fs = thrown as { path?: unknown; syscall?: unknown };
  const error = typeof fs?.path === "string" && typeof fs.syscall === "string" ? fileError(thrown, fs.syscall, fs.path) : thrown;
  if (abortController.signal.aborted && !(error instanceof SekftError && error.exitCode === 2)) {
    log.error(error instanceof InterruptedError ? error.message : "interrupted");
    return interruptExitCode();
  }
  if (error instanceof SekftError) {
    log.error(error.message);
    if (error.hint) log.info(error.hint);
    if (verbose && error.stack) log.debug(error.stack);
    return error.exitCode;
  }
  const e = error as { name?: string; code?: string; message?: string; stack?: string };
  // citty's own argument errors (a missing positional, an unknown subcommand) are usage errors; nothing else is.
  if (e?.name === "CLIError") {
    // citty colours the words it quotes; the logger adds its own colours where they belong.
    log.error(stripAnsi(e.message ?? String(error)));
    log.info("Run with --help to see the usage.");
    return 2;
  }
  log.error(e?.message ?? String(error));
  if (verbose && e?.stack) log.error(e.stack);
  else log.info("Run again with --verbose to see the stack.");
  return 1;
}

// Exit once, after disposal: pending handles (sockets, timers) must not keep a finished run alive.
void run().then((code) => process.exit(code));
