import type { Rng } from "../../rng.ts";

/** A provider tool's self-description: name, one-line summary, usage lines, and the rules of the routine. */
export interface ToolDoc {
  tool: string;
  summary: string;
  usage: Array<[args: string, what: string]>;
  rules: string;
}

export function manPage(name: string, section: number, summary: string, body: string): string {
  const head = `${name.toUpperCase()}(${section})`;
  return `${head}${" ".repeat(Math.max(1, 60 - 2 * head.length))}${head}\n\nNAME\n       ${name} - ${summary}\n\n${body
    .split("\n")
    .map((l) => (l ? `       ${l}` : ""))
    .join("\n")}\n`;
}

/**
 * A dash script whose self-documentation follows the doc depth. help: `--help` prints the usage; man: only the
 * manual page has it (`--help` is an unknown argument); usage_error: only a bare run prints it (`--help` is
 * unknown and there is no manual page). `arms` are the tool's own `case` arms.
 */
export function toolScript(rng: Rng, d: ToolDoc, depth: string, arms: string[]): { script: string; doc: string } {
  const width = Math.max(...d.usage.map(([a]) => a.length)) + 2;
  const head = rng.pick(["USAGE", "Usage:", "SYNOPSIS"]);
  const doc = `${head}\n${d.usage.map(([a, w]) => `  ${d.tool} ${a.padEnd(width)}${w}`).join("\n")}\n\n${d.rules}`;
  const say = (msg: string): string => `echo "${d.tool}: ${msg}" >&2; exit 2`;
  const bare =
    depth === "help"
      ? say(rng.pick([`missing argument; try '${d.tool} --help'`, `nothing to do (see --help)`]))
      : depth === "man"
        ? say(rng.pick([`missing argument; see ${d.tool}(1)`, "missing argument"]))
        : `cat >&2 <<'DOC'\n${d.tool} - ${d.summary}\n\n${doc}\nDOC\n  exit 2`;
  const unknown =
    depth === "help"
      ? say(`unknown argument '$1'; try '${d.tool} --help'`)
      : say(rng.pick(["unknown argument '$1'", "unrecognized option '$1'", "bad argument: $1"]));
  const help = depth === "help" ? [`  -h|--help)\n    cat <<'DOC'\n${d.tool} - ${d.summary}\n\n${doc}\nDOC\n    exit 0 ;;`] : [];
  const script = `#!/bin/sh\n# ${d.tool} - ${d.summary}\nif [ $# -eq 0 ]; then\n  ${bare}\nfi\ncase "$1" in\n${[...arms, ...help].join("\n")}\n  *) ${unknown} ;;\nesac\n`;
  return { script, doc };
}

/** The pointer an announcement gives to a tool, and the doc steps a person takes from it: the misses, then the hit. */
export function toolPointer(rng: Rng, tool: string, depth: string): { pointer: string; learn: string[] } {
  const named = rng.next() < 0.3;
  if (named) {
    const pointer =
      depth === "help"
        ? rng.pick([`Directives are queued in ${tool} (see ${tool} --help).`, `Run ${tool} --help to learn how to read your directives.`])
        : depth === "man"
          ? rng.pick([`Directives are queued in ${tool}; it is described in ${tool}(1).`, `Read man ${tool}, then fetch your directives with it.`])
          : rng.pick([
              `Directives are queued in ${tool}; run it with no arguments for usage.`,
              `${tool} prints its usage when run bare; it holds your directives.`,
            ]);
    return { pointer, learn: [depth === "help" ? `${tool} --help` : depth === "man" ? `man ${tool}` : tool] };
  }
  const pointer = rng.pick([
    `Directives for this host are queued in ${tool}.`,
    `Pending work is handed out by ${tool}.`,
    `Use ${tool} to read your directives.`,
    `Your work queue is ${tool}.`,
    `${tool} holds the directives for this host.`,
    `Check ${tool} for pending directives.`,
    `Today's directives come from the ${tool} command.`,
  ]);
  // Not told where the docs are, a person tries --help, then the manual, then the bare command.
  const learn = depth === "help" ? [`${tool} --help`] : depth === "man" ? [`${tool} --help`, `man ${tool}`] : [`${tool} --help`, `man ${tool}`, tool];
  return { pointer, learn };
}
