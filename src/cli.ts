#!/usr/bin/env bun
import type { CommandDef } from "citty";
import { fstatSync, statSync } from "node:fs";
import { VERSION } from "./version.ts";

// Start-up loads only what the arguments ask for: `--version` nothing but version.ts, `--help` citty and the
// summaries, a command its own module. The commands load lazily, so `--help` never evaluates dockerode or openai.
// (defineCommand is citty's identity function: the map is a plain CommandDef so that citty loads only when needed.)
const main: CommandDef<any> = {
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
};

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
  if (rawArgs.length === 1 && (rawArgs[0] === "--version" || rawArgs[0] === "-v")) {
    // console.log, not process.stdout: the stream machinery alone costs as much as the rest of start-up.
    console.log(VERSION);
    return 0;
  }
  const verbose = rawArgs.includes("--verbose");
  try {
    const { cmd, parent, rest } = await resolveCommand(main, rawArgs);
    // A command group followed by a word that is none of its commands (`sekft nosuch --help`): never its help and 0.
    const unknown = cmd.subCommands ? rest.find((a) => !a.startsWith("-")) : undefined;
    if (rawArgs.length === 0 || unknown !== undefined) {
      await writeUsage(2, cmd, parent);
      const { UsageError } = await import("./errors.ts");
      throw new UsageError(unknown === undefined ? "no command given" : `unknown command "${unknown}"`);
    }
    if (rawArgs.includes("--help") || rawArgs.includes("-h")) {
      await writeUsage(1, cmd, parent);
      return 0;
    }
    // The one place unknown flags are refused: a typo never silently runs the default.
    const def = typeof cmd.args === "function" ? await cmd.args() : await cmd.args;
    const { rejectUnknownFlags } = await import("./commands/_flags.ts");
    if (!cmd.subCommands) rejectUnknownFlags(rest, def ?? {});
    // The signal handlers are in place before any command runs (importing signals.ts installs them).
    const [{ runCommand }, { abortController, interruptExitCode }] = await Promise.all([import("citty"), import("./signals.ts")]);
    await runCommand(main, { rawArgs });
    return abortController.signal.aborted ? interruptExitCode() : 0;
  } catch (error) {
    return report(error, verbose);
  }
}

/**
 * A command's usage on stdout (fd 1) or stderr (2), coloured only for a terminal and never under NO_COLOR (citty
 * colours whatever the stream). Written by console, not process.stdout/stderr, whose set-up doubles start-up.
 */
async function writeUsage(fd: 1 | 2, cmd: CommandDef<any>, parent: CommandDef<any> | undefined): Promise<void> {
  const { renderUsage } = await import("citty");
  // The top level lists every command by its summary; loading the commands to read their descriptions would
  // evaluate every feature module. A command without a summary is loaded for it.
  if (cmd === main) {
    const { commandSummaries } = await import("./commands/_summaries.ts");
    cmd = { ...main, subCommands: await commandSummaries(main.subCommands as Record<string, () => Promise<CommandDef<any>>>) };
  }
  const text = await renderUsage(cmd, parent);
  const out = `${!process.env.NO_COLOR && (await isTerminal(fd)) ? text : Bun.stripANSI(text)}\n`;
  if (fd === 1) console.log(out);
  else console.error(out);
}

/**
 * Whether FD is a terminal; node:tty (which loads node:net) is read only for a character device other than
 * /dev/null, never for a pipe or a file.
 */
async function isTerminal(fd: number): Promise<boolean> {
  const st = fstatSync(fd);
  if (!st.isCharacterDevice() || st.rdev === statSync("/dev/null").rdev) return false;
  const { isatty } = await import("node:tty");
  return isatty(fd);
}

/** The one error formatter: message, hint, stack only with --verbose. */
async function report(thrown: unknown, verbose: boolean): Promise<number> {
  const [{ fileError, SekftError, InterruptedError }, { createLogger }, { abortController, interruptExitCode }] = await Promise.all([
    import("./errors.ts"),
    import("./ui/logger.ts"),
    import("./signals.ts"),
  ]);
  const log = createLogger({ verbose });
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
    log.error(Bun.stripANSI(e.message ?? String(error)));
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
