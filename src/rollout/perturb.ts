import { shellQuote as q } from "../proc/shell.ts";
import type { Bundle } from "../shell/bundle.ts";

/** Which set of mistakes and sampling rule a perturb run used: the perturb operator's identity in the journal holds it. */
export const PERTURBATIONS_VERSION = "4";

/** A perturbation's moves: commands in order; with `loop`, the last one again and again until the episode ends it. */
export interface Moves {
  commands: string[];
  loop?: boolean;
}

/** The parts of a reference the perturbations are built from. */
function parts(b: Bundle) {
  const cmds = b.reference.map((s) => s.cmd);
  const work = b.reference.flatMap((s, i) => (s.work ? [i] : []));
  const first = work[0] ?? -1;
  return { cmds, work, first, reading: first < 0 ? cmds.slice(0, -1) : cmds.slice(0, first), terminal: cmds.at(-1)! };
}

/** A wrong invocation: every path under /home/op written as its bare name, as if the directory were the current one. */
export function relativised(cmd: string): string {
  return cmd.replace(/(['"]?)\/home\/op\/(?:[A-Za-z0-9._+@-]+\/)*([A-Za-z0-9._+@-]+)\1/g, "$2");
}

const reasons = {
  blocked: q("cannot carry out the directives: permission denied"),
  unknown: q("I do not know how to do this"),
};

/**
 * The mistakes operators make, each executed for real: the checker, not this code, decides what they did. Modelled
 * on what small models do (loops, invented tools, acting before reading) and on the routine's decisions (which
 * terminal, how much of the queue). Each returns null where it means nothing for the bundle's cell.
 */
export const PERTURBATIONS: Record<string, (b: Bundle) => Moves | null> = {
  // Read the directives, then run the first one wrongly (paths relative to the wrong directory) until stuck.
  loop: (b) => {
    const { cmds, first, reading } = parts(b);
    if (first < 0) return null;
    const wrong = relativised(cmds[first]!);
    return wrong === cmds[first] ? null : { commands: [...reading, wrong], loop: true };
  },
  // What an untuned model does most (`bench/model-failures.ts` on 50 bundles: 24 of 43 failures): `exit` as its first
  // move, nothing read, nothing done. Where nothing was to be done and exit is right, that passes: not offered.
  "exit-at-once": (b) => {
    const { work } = parts(b);
    return b.terminal === "panic" || work.length ? { commands: ["exit"] } : null;
  },
  // Its loops come during discovery, before anything is read: an invented admin command for the first look around,
  // again and again until the episode ends it.
  "loop-before-read": (b) => {
    const { cmds } = parts(b);
    const look = cmds.length > 1 ? cmds[0]! : "ls";
    return { commands: [`sudo ${look}`], loop: true };
  },
  // A tool the host does not have (`sudo`) for the first directive, then carry on as if it had worked.
  "invented-tool": (b) => {
    const { cmds, first, reading } = parts(b);
    if (first < 0) return null;
    return { commands: [...reading, `sudo ${cmds[first]!}`, ...cmds.slice(first + 1)] };
  },
  // Act on a guess before discovery: the tempting work nobody asked for first; or, where a directive is
  // blocked, the work alone and `exit`, never reading the directive that cannot be done.
  "act-before-read": (b) => {
    const { cmds, work } = parts(b);
    if (b.decoy.length) return { commands: [...b.decoy, ...cmds] };
    if (b.terminal !== "panic" || !work.length) return null;
    return { commands: [...work.map((i) => cmds[i]!), "exit"] };
  },
  // `exit` where `panic` is right: a directive is blocked.
  "exit-not-panic": (b) => (b.terminal === "panic" ? { commands: [...parts(b).cmds.slice(0, -1), "exit"] } : null),
  // `panic` where everything was done (or nothing was asked).
  "panic-not-exit": (b) => (b.terminal === "exit" ? { commands: [...parts(b).cmds.slice(0, -1), `panic ${reasons.blocked}`] } : null),
  // `panic` after some of the work, before the last working step, although it could be done.
  "panic-with-work-left": (b) => {
    const { cmds, work } = parts(b);
    if (b.terminal !== "exit" || work.length < 2) return null;
    return { commands: [...cmds.slice(0, work.at(-1)), `panic ${reasons.blocked}`] };
  },
  // Give up right after reading the directives, before any of the work, although it was possible.
  "give-up": (b) => {
    const { reading, work } = parts(b);
    return b.terminal === "exit" && work.length ? { commands: [...reading, `panic ${reasons.unknown}`] } : null;
  },
  // Act on an empty queue after reading it: the tempting work nobody asked for (the bundle's decoy).
  "act-on-empty": (b) => {
    if (b.cell.difficulty !== "empty_queue" || !b.decoy.length) return null;
    const { cmds } = parts(b);
    return { commands: [...cmds.slice(0, -1), ...b.decoy, cmds.at(-1)!] };
  },
  // Carry out only the first working step, then end.
  "first-only": (b) => {
    const { cmds, work } = parts(b);
    return work.length < 2 ? null : { commands: cmds.filter((_, i) => !work.slice(1).includes(i)) };
  },
  // Carry out the working steps in the reverse order.
  "wrong-order": (b) => {
    const { cmds, work } = parts(b);
    if (work.length < 2) return null;
    const reversed = [...work].reverse();
    return { commands: cmds.map((c, i) => (work.includes(i) ? cmds[reversed[work.indexOf(i)]!]! : c)) };
  },
  // Use the directive tool without reading its documentation: skip its `--help`/`man`/bare-run steps and call it the
  // way tools usually are (`TOOL list`, `TOOL show ID`), then, with no directives read, give up. Where that guess is
  // the tool's real syntax, skipping the docs costs nothing: not a mistake on this bundle (null).
  "skip-docs": (b) => {
    const { reading } = parts(b);
    const tools = b.fixtures.flatMap((f) => (f.type === "file" && f.path.startsWith("/usr/local/bin/") ? [f.path.slice(15)] : []));
    if (!tools.length || b.cell.difficulty === "empty_queue") return null;
    const isDoc = (c: string) => tools.some((t) => c === t || c === `${t} --help` || c === `${t} -h` || c === `man ${t}`);
    const guessed = reading.filter((c) => !isDoc(c)).map((c) => guessTool(c, tools));
    if (guessed.join("\n") === reading.filter((c) => !isDoc(c)).join("\n")) return null;
    return { commands: [...guessed, `panic ${q(`cannot read the directives: ${tools[0]} does not work`)}`] };
  },
};

/** A call of one of `tools` as someone guesses it without the docs: `TOOL show ID` when it names a number, else `TOOL list`. */
export function guessTool(cmd: string, tools: string[]): string {
  const [word, ...args] = cmd.split(/\s+/);
  if (!word || !tools.includes(word) || !args.length) return cmd;
  const id = args.map((a) => /^(?:--?[A-Za-z-]+=)?(\d+)$/.exec(a)?.[1]).find(Boolean);
  return id ? `${word} show ${id}` : `${word} list`;
}

const same = (a: Moves, b: Moves) => !!a.loop === !!b.loop && JSON.stringify(a.commands) === JSON.stringify(b.commands);

/**
 * The perturbations that mean something for a bundle, decided before any container runs: those that apply to
 * its cell, less any whose moves are the reference's (it would pass) or an earlier one's (the same run twice).
 */
export function perturbationsOf(b: Bundle): string[] {
  const seen: Moves[] = [{ commands: b.reference.map((s) => s.cmd) }];
  const out: string[] = [];
  for (const [name, make] of Object.entries(PERTURBATIONS)) {
    const moves = make(b);
    if (!moves || seen.some((m) => same(m, moves))) continue;
    seen.push(moves);
    out.push(name);
  }
  return out;
}

/**
 * The perturbation of sample k: the applicable ones in a rotation that starts at a place the bundle id picks (so
 * few samples per bundle still cover every kind across bundles); null once k has used each of them.
 */
export function perturbationOf(b: Bundle, sample: number): string | null {
  return perturbationAttempt(b, sample, 0, 1);
}

/**
 * The perturbation of sample k's `attempt`-th try when the earlier ones still passed (the mistake is no mistake on
 * this bundle, so the sample takes another): the rotation continues past the kinds the run's `samples` samples take
 * first, so a retry never repeats another sample's kind; null once the kinds run out.
 */
export function perturbationAttempt(b: Bundle, sample: number, attempt: number, samples: number): string | null {
  const names = perturbationsOf(b);
  const at = sample + attempt * Math.max(samples, 1);
  if (sample >= names.length || at >= names.length) return null;
  const start = Number.parseInt(b.id.slice(0, 8), 16) % names.length;
  return names[(start + at) % names.length]!;
}
