import type { Cell, Fixture, Mistake, Scenario, Step } from "../bundle.ts";
import { Rng } from "../../rng.ts";
import { composeChecker, unchangedChecks } from "../checker.ts";
import { scenarioMistakes } from "./mistakes.ts";
import { BLOCKERS } from "./blockers.ts";
import { PROVIDERS, type Directive } from "./providers.ts";
import { TASKS, type TaskInstance } from "./tasks.ts";
import { bannerOf, homeNote, hostName, loginHead, motdText } from "./wording.ts";
import { shellQuote as q } from "../../proc/shell.ts";

const ANNOUNCEMENTS = ["motd", "login_banner", "env_var", "home_file"];
const WORK_ROOTS = ["/home/op/work", "/home/op/jobs", "/home/op/projects", "/home/op/srv", "/home/op/ops", "/home/op"];
const SLUG_WORDS = ["alpha", "bravo", "north", "south", "lake", "pine", "orchid", "comet", "mesa", "delta"];

/** Where the pointer is, and the discovery a person runs in the fixed order login → motd → env → home, misses included. */
function announce(
  kind: string,
  rng: Rng,
  host: string,
  pointer: string,
): { fixtures: Fixture[]; env: Record<string, string>; banner: string; discover: string[] } {
  const motd = (p: string | null): Fixture => ({ path: "/var/run/motd", type: "file", content: motdText(rng, host, p), mode: 0o644, owner: "root" });
  switch (kind) {
    case "motd":
      return { fixtures: [motd(pointer)], env: {}, banner: "", discover: ["cat /etc/motd"] };
    case "login_banner":
      return { fixtures: [motd(null)], env: {}, banner: bannerOf(rng, pointer), discover: [] };
    case "env_var": {
      const name = rng.pick(["OPS_NOTICE", "SITE_NOTE", "HOST_BULLETIN", "OPERATOR_MSG", "DUTY_INFO", "WORK_NOTICE"]);
      return { fixtures: [motd(null)], env: { [name]: pointer }, banner: "", discover: ["cat /etc/motd", "env"] };
    }
    case "home_file": {
      const name = rng.pick(["README", "NOTICE.txt", "START_HERE", "TODO", "ops-notes.txt", "HANDOVER"]);
      const note: Fixture = { path: `/home/op/${name}`, type: "file", content: homeNote(rng, pointer), mode: 0o644, owner: "op" };
      return {
        fixtures: [motd(null), note],
        env: {},
        banner: "",
        discover: ["cat /etc/motd", "env", rng.pick(["ls", "ls -a", "ls ~", "ls -a ~"]), rng.pick([`cat ${name}`, `cat ~/${name}`])],
      };
    }
    default:
      throw new Error(`no builtin template for announcement "${kind}"`);
  }
}

const must = ([cond, msg]: [string, string]): string => `${cond} || fail ${q(msg)}`;
const notDone = (t: TaskInstance, n: number): string =>
  `if { ${t.checks.map(([c]) => c).join(" && ")}; } 2>/dev/null; then fail ${q(`directive ${n} was carried out after the blocked one`)}; fi`;

/**
 * The working commands with a look first wherever one names a file the directive does not: `ls` of its directory,
 * so no command uses a name that was never on the screen.
 */
export function withLooks(work: string[], shown: string): Step[] {
  let cwd = "/home/op";
  const listed = new Set<string>();
  const out: Step[] = [];
  for (const cmd of work) {
    const cd = /^cd (\S+)$/.exec(cmd);
    if (cd) cwd = cd[1]!;
    for (const w of cd ? [] : cmd.split(/\s+/)) {
      if (!/^[\w.~/-]+$/.test(w) || w.startsWith("-") || !(w.includes("/") || /\.\w+$/.test(w))) continue;
      const abs = w.startsWith("/") ? w : `${cwd}/${w}`;
      const dir = abs.slice(0, abs.lastIndexOf("/")) || "/";
      if (shown.includes(abs.slice(abs.lastIndexOf("/") + 1)) || listed.has(dir)) continue;
      listed.add(dir);
      out.push({ cmd: dir === cwd ? "ls" : `ls ${dir}`, work: false });
    }
    out.push({ cmd, work: true });
  }
  return out;
}

/** Whether builtin templates can compose this cell. */
export function builtinSupports(cell: Cell): string | null {
  if (!TASKS[cell.task]) return `no builtin template for task "${cell.task}"`;
  if (!PROVIDERS[cell.provider]) return `no builtin template for provider "${cell.provider}"`;
  if (!["single", "multi", "empty_queue", "blocked"].includes(cell.difficulty)) return `no builtin template for difficulty "${cell.difficulty}"`;
  if (!ANNOUNCEMENTS.includes(cell.announcement)) return `no builtin template for announcement "${cell.announcement}"`;
  return null;
}

/** Composes a scenario for any supported cell from the templates; the same cell and seed give the same scenario. */
export function composeBuiltin(cell: Cell, seed: number): Scenario {
  const rng = new Rng(`${seed}:${cell.task}:${cell.provider}:${cell.announcement}:${cell.doc_depth}:${cell.difficulty}`);
  const host = hostName(rng);
  const workRoot = rng.pick(WORK_ROOTS);
  const used = new Set<string>();
  const task = (name: string): TaskInstance => {
    const slug = name.replace(/_/g, "-");
    let dir = rng.pick([slug, `${slug}-${rng.int(1, 9)}`, rng.pick(SLUG_WORDS), `${rng.pick(SLUG_WORDS)}-${slug.split("-")[0]}`]);
    while (used.has(dir)) dir = `${dir}-${used.size}`;
    used.add(dir);
    return TASKS[name]!(rng, `${workRoot}/${dir}`);
  };
  const others = (n: number): string[] =>
    rng.sample(
      Object.keys(TASKS).filter((t) => t !== cell.task),
      n,
    );
  if (cell.difficulty === "single" || cell.difficulty === "multi") {
    const names = cell.difficulty === "single" ? [cell.task] : rng.shuffle([cell.task, ...others(rng.int(1, 2))]);
    const done = names.map(task);
    const checks = done.flatMap((t) => t.checks).map(must);
    const mistakes = () => around(done, names.indexOf(cell.task));
    return finish(cell, rng, host, { fixtures: done.flatMap((t) => t.fixtures), items: done, done, checks, tail: ["exit"], decoy: [], mistakes });
  }
  if (cell.difficulty === "empty_queue") {
    // The workspace is tempting but nothing was asked: any change to it is the failure (a digest of every entry, made in
    // `finish` from all the fixtures), not only the one planted action.
    const a = task(cell.task);
    const mistakes = (all: Fixture[]) => scenarioMistakes("empty_queue", a, [], all);
    return finish(cell, rng, host, { fixtures: a.fixtures, items: [], done: [], checks: [], tail: ["exit"], decoy: a.work, mistakes });
  }
  // The blocked directive sits anywhere among 2–4; the ones before it are done, the ones after it must not be.
  const n = rng.int(2, 4);
  const at = rng.int(0, n - 1);
  const names = rng.shuffle([cell.task, ...others(n - 2)]);
  const tasks = names.map(task);
  const blocker = rng.pick(BLOCKERS)(rng, workRoot);
  const done = tasks.slice(0, at);
  const checks = [...done.flatMap((t) => t.checks).map(must), ...blocker.absent.map(must), ...tasks.slice(at).map((t, i) => notDone(t, at + 2 + i))];
  return finish(cell, rng, host, {
    fixtures: [...blocker.fixtures, ...tasks.flatMap((t) => t.fixtures)],
    items: [...done, blocker, ...tasks.slice(at)],
    done,
    checks,
    tail: [blocker.probe, `panic ${q(`cannot carry out "${blocker.title}": ${blocker.reason}`)}`],
    // Carrying on past the block, or faking the blocked one, is what the checker must catch.
    decoy: tasks[at]?.work ?? blocker.fake,
    // A task done before the block (the cell's own when it is among them) is done wrong in each of its plausible ways;
    // with the block first nothing is done, and the decoy is the mistake.
    mistakes: () => around(done, Math.max(names.slice(0, at).indexOf(cell.task), done.length ? 0 : -1)),
  });
}

interface Parts {
  fixtures: Fixture[];
  items: Array<{ title: string; text: string }>;
  done: TaskInstance[];
  checks: string[];
  /** The commands after the work; the last is the terminal. */
  tail: string[];
  decoy: string[];
  /** The plausible mistakes the gate runs against the checker, given all the bundle's fixtures. */
  mistakes: (fixtures: Fixture[]) => Mistake[];
}

/** The mistakes of `done[k]` (none when k < 0), each with the other tasks' work around it as the reference has it. */
function around(done: TaskInstance[], k: number): Mistake[] {
  if (k < 0) return [];
  const before = done.slice(0, k).flatMap((t) => t.work);
  const after = done.slice(k + 1).flatMap((t) => t.work);
  return done[k]!.mistakes.map((m) => ({ name: m.name, work: [...before, ...m.work, ...after] }));
}

function finish(cell: Cell, rng: Rng, host: string, { fixtures, items, done, checks, tail, decoy, mistakes }: Parts): Scenario {
  const firstId = rng.int(101, 880);
  const gap = rng.int(1, 9);
  const served: Directive[] = items.map((d, i) => ({ id: String(firstId + i * gap), title: d.title, text: d.text }));
  const seen = { env: cell.announcement === "env_var" || cell.announcement === "home_file" };
  const provider = PROVIDERS[cell.provider]!(rng, served, cell.doc_depth, seen);
  const ann = announce(cell.announcement, rng, host, provider.pointer);
  const work = done.flatMap((t) => withLooks(t.work, `${t.title}\n${t.text}`));
  const steps: Step[] = [
    ...[...ann.discover, ...provider.learn, ...provider.retrieve].map((cmd) => ({ cmd, work: false })),
    ...work,
    ...tail.slice(0, -1).map((cmd) => ({ cmd, work: false })),
    { cmd: tail.at(-1)!, work: false },
  ];
  const all = [...fixtures, ...provider.fixtures, ...ann.fixtures];
  return {
    login_text: `${loginHead(rng, host)}${ann.banner}`,
    env: { HOSTNAME: host, ...provider.env, ...ann.env },
    fixtures: all,
    reference: steps,
    terminal: tail.at(-1) === "exit" ? "exit" : "panic",
    checker: composeChecker(cell.difficulty === "empty_queue" ? unchangedChecks(all) : checks),
    decoy,
    mistakes: mistakes(all),
  };
}
