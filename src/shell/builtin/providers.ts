import type { Fixture } from "../bundle.ts";
import type { Rng } from "../../rng.ts";
import { manPage, toolPointer, toolScript, type ToolDoc } from "./tool.ts";
import { ruleText } from "./wording.ts";

/** A directive as a provider serves it. */
export interface Directive {
  id: string;
  title: string;
  text: string;
}

/** A provider installed for one scenario: its files, env, the pointer an announcement gives, and how to use it. */
export interface ProviderInstance {
  fixtures: Fixture[];
  env: Record<string, string>;
  pointer: string;
  /** How a person learns the provider: the misses first, then the step that answers. */
  learn: string[];
  retrieve: string[];
}

/** What the discovery before the provider already showed. */
export interface Seen {
  env: boolean;
}

type ProviderTemplate = (rng: Rng, directives: Directive[], depth: string, seen: Seen) => ProviderInstance;

const root = (path: string, content: string, mode = 0o644): Fixture => ({ path, type: "file", content, mode, owner: "root" });
const dirOf = (path: string, owner: "op" | "root" = "root"): Fixture => ({ path, type: "dir", mode: 0o755, owner });
const MAN1 = "/usr/local/share/man/man1";

const queueEntry = (rng: Rng, d: Directive): string =>
  rng.pick([`${d.title}\n\n${d.text}\n`, `${d.title}\n${"-".repeat(d.title.length)}\n${d.text}\n`, `Title: ${d.title}\n\n${d.text}\n`]);

/** A queue tool that lists directives by ID and shows one; subcommands or options, several output formats. */
function listShowTool(rng: Rng, directives: Directive[], depth: string, tools: string[], style: "words" | "flags"): ProviderInstance {
  const tool = rng.pick(tools);
  const [list, show] =
    style === "words"
      ? rng.pick([
          ["list", "show"],
          ["ls", "cat"],
          ["pending", "get"],
          ["queue", "read"],
          ["list", "view"],
        ])
      : rng.pick([
          ["-l", "-s"],
          ["-L", "-S"],
          ["--list", "--show"],
          ["-q", "-p"],
        ]);
  const idStyle = rng.pick(style === "words" ? ["pos", "pos", "opt"] : show.startsWith("--") ? ["pos", "eq"] : ["pos"]);
  const showUse = idStyle === "eq" ? `${show}=ID` : idStyle === "opt" ? `${show} --id ID` : `${show} ID`;
  const store = rng.pick([`/var/lib/${tool}/queue`, `/var/lib/${tool}`, `/var/spool/${tool}`]);
  const suffix = rng.pick(["", ".job", ".d"]);
  const format = rng.pick(["%s\\t%s\\n", "%-6s %s\\n", "#%s %s\\n", "[%s] %s\\n", "%s: %s\\n"]);
  const empty = rng.pick(["no pending directives", "queue is empty", "nothing pending", "0 directives pending"]);
  const idOf = idStyle === "eq" ? `\${1#${show}=}` : idStyle === "opt" ? `\${3-}` : `\${2-}`;
  const strip = suffix ? `; id=\${id%${suffix}}` : "";
  const arms = [
    `  ${list})\n    found=0\n    for f in ${store}/*${suffix}; do\n      [ -f "$f" ] || continue\n      found=1\n      id=\${f##*/}${strip}\n      printf '${format}' "$id" "$(head -n 1 "$f")"\n    done\n    [ "$found" = 1 ] || echo "${empty}"\n    exit 0 ;;`,
    `  ${idStyle === "eq" ? `${show}=*` : show})\n    id=${idOf}\n${idStyle === "opt" ? `    [ "\${2-}" = --id ] || { echo "${tool}: ${show} needs --id ID" >&2; exit 2; }\n` : ""}    if [ -z "$id" ] || [ ! -f "${store}/$id${suffix}" ]; then echo "${tool}: no such directive: $id" >&2; exit 1; fi\n    cat "${store}/$id${suffix}"\n    exit 0 ;;`,
  ];
  const doc: ToolDoc = {
    tool,
    summary: rng.pick(["the operator directive queue", "directive dispatcher", "read the work queue", "pending directives for this host"]),
    usage: [
      [
        list,
        rng.pick([
          "list pending directives (ID and title)",
          "one line per pending directive",
          "show what is pending, by ID",
          "the IDs and titles of pending work",
        ]),
      ],
      [showUse, rng.pick(["print one directive in full", "the full text of directive ID", "show directive ID", "print the directive with this ID"])],
    ],
    rules: ruleText(rng),
  };
  const t = toolScript(rng, doc, depth, arms);
  const p = toolPointer(rng, tool, depth);
  const showCmd = (id: string): string =>
    idStyle === "eq" ? `${tool} ${show}=${id}` : idStyle === "opt" ? `${tool} ${show} --id ${id}` : `${tool} ${show} ${id}`;
  return {
    fixtures: [
      root(`/usr/local/bin/${tool}`, t.script, 0o755),
      ...(depth === "man" ? [root(`${MAN1}/${tool}.1`, manPage(tool, 1, doc.summary, t.doc))] : []),
      dirOf(store),
      ...directives.map((d) => root(`${store}/${d.id}${suffix}`, queueEntry(rng, d))),
    ],
    env: {},
    pointer: p.pointer,
    learn: p.learn,
    retrieve: [`${tool} ${list}`, ...directives.map((d) => showCmd(d.id))],
  };
}

/** The five builtin directive providers. */
export const PROVIDERS: Record<string, ProviderTemplate> = {
  subcommand: (rng, directives, depth) =>
    listShowTool(rng, directives, depth, ["taskctl", "opsq", "workctl", "dutyctl", "qctl", "orderctl", "jobctl"], "words"),
  man_tool: (rng, directives) => listShowTool(rng, directives, "man", ["jobq", "duty", "dispatch", "rota", "assign", "tickets", "workq"], "flags"),
  single_flag(rng, directives, depth) {
    const tool = rng.pick(["nextjob", "orders", "pending", "whatsnext", "agenda", "dueops", "worklist"]);
    const flag = rng.pick(["-a", "-p", "--all", "--pending", "-l", "--list", "--print"]);
    const data = rng.pick([`/var/lib/${tool}/pending`, `/var/lib/${tool}/queue.txt`, `/var/cache/${tool}/current`]);
    const empty = rng.pick(["queue is empty", "nothing to do", "no directives pending", "(none)"]);
    const doc: ToolDoc = {
      tool,
      summary: rng.pick(["print pending directives", "what to do next", "today's work orders", "show the directive list"]),
      usage: [[flag, rng.pick(["print every pending directive", "show all pending directives, in order", "print the directive list"])]],
      rules: ruleText(rng),
    };
    const arm = `  ${flag})\n    if [ -s ${data} ]; then cat ${data}; else echo "${empty}"; fi\n    exit 0 ;;`;
    const t = toolScript(rng, doc, depth, [arm]);
    const head = rng.pick([
      (i: number, d: Directive) => `== ${i}: ${d.title} ==\n${d.text}\n`,
      (i: number, d: Directive) => `--- directive ${i}: ${d.title} ---\n${d.text}\n`,
      (i: number, d: Directive) => `${i}) ${d.title}\n   ${d.text}\n`,
      (i: number, d: Directive) => `[${i}] ${d.title}\n${d.text}\n`,
    ]);
    const p = toolPointer(rng, tool, depth);
    return {
      fixtures: [
        root(`/usr/local/bin/${tool}`, t.script, 0o755),
        ...(depth === "man" ? [root(`${MAN1}/${tool}.1`, manPage(tool, 1, doc.summary, t.doc))] : []),
        root(data, directives.map((d, i) => head(i + 1, d)).join("\n")),
      ],
      env: {},
      pointer: p.pointer,
      learn: p.learn,
      retrieve: [`${tool} ${flag}`],
    };
  },
  spool(rng, directives, depth) {
    const dirPath = rng.pick(["/var/spool/directives", "/var/spool/ops", "/var/spool/orders", "/var/spool/work", "/var/spool/duty", "/var/lib/inbox"]);
    const ext = rng.pick([".directive", ".task", ".order", ".txt", ".msg"]);
    // One naming scheme per spool, so the name order the docs state is the order of the directives (mixing `d1` and
    // `0002` would sort `0002` first).
    const scheme = rng.pick([(n: number) => String(n).padStart(4, "0"), (n: number) => String(n).padStart(2, "0"), (n: number) => `d${n}`]);
    const names = directives.map((_, i) => `${scheme(i + 1)}${ext}`);
    const doc = `${rng.pick([`Each *${ext} file in ${dirPath} holds one directive: a title line, a blank line, the text.`, `One directive per *${ext} file here; the first line is its title, the rest its text.`, `Files named *${ext} in ${dirPath} are directives (title, blank line, text).`])}\n${rng.pick([`*${ext} files are processed in order of their names.`, `Take the *${ext} files in name order.`, `Name order of the *${ext} files is the order of work.`, `Sort the *${ext} names to get the order.`])}\n${ruleText(rng)}`;
    const files = directives.map((d, i) => root(`${dirPath}/${names[i]}`, `${d.title}\n\n${d.text}\n`));
    const readme = `${dirPath}/${rng.pick(["README", "README.txt", "FORMAT"])}`;
    const docs =
      depth === "man"
        ? [
            root(
              "/usr/local/share/man/man5/directives.5",
              manPage("directives", 5, rng.pick(["the directive spool", "format of spooled directives", "spooled work orders", "directive files"]), doc),
            ),
          ]
        : [root(readme, `${doc}\n`)];
    const pointer =
      depth === "man"
        ? rng.pick([
            `Directives are spooled in ${dirPath}; the format is described in directives(5).`,
            `Work for this host is spooled under ${dirPath} (see man 5 directives).`,
            `Read directives(5), then the files in ${dirPath}.`,
          ])
        : rng.pick([
            `Directives are spooled in ${dirPath}.`,
            `Work for this host waits in ${dirPath}.`,
            `Your directives are files in ${dirPath}.`,
            `Pending work: ${dirPath}.`,
          ]);
    return {
      fixtures: [dirOf(dirPath), ...docs, ...files],
      env: {},
      pointer,
      learn: depth === "man" ? [rng.pick(["man directives", "man 5 directives"])] : [`ls ${dirPath}`, `cat ${readme}`],
      retrieve: [...(depth === "man" ? [`ls ${dirPath}`] : []), ...files.map((f) => `cat ${f.path}`)],
    };
  },
  env_file(rng, directives, _depth, seen) {
    const name = rng.pick(["OPS_DIRECTIVES", "DIRECTIVES_FILE", "WORK_ORDERS", "DUTY_FILE", "TASK_LIST"]);
    const path = rng.pick([
      "/var/lib/ops/directives.txt",
      "/home/op/.config/ops/directives",
      "/var/lib/orders/current",
      "/home/op/.local/share/duty/queue.txt",
      "/var/opt/work/list",
    ]);
    const dir = path.slice(0, path.lastIndexOf("/"));
    const readme = `${dir}/${rng.pick(["README", "README.md", "ABOUT"])}`;
    const owner = path.startsWith("/home/op") ? "op" : "root";
    const block = rng.pick([
      (i: number, d: Directive) => `[${i}] ${d.title}\n${d.text}\n`,
      (i: number, d: Directive) => `${i}. ${d.title}\n   ${d.text}\n`,
      (_i: number, d: Directive) => `### ${d.title}\n${d.text}\n`,
    ]);
    const about = `${rng.pick([`${path} lists the directives for this host, one block per directive: a title, then the text.`, `The file named by $${name} holds this host's directives, each a title line followed by its text.`, `Directives live in ${path}; each block is a title and the directive text.`])}\n${ruleText(rng)}\n`;
    return {
      fixtures: [
        { ...root(readme, about), owner },
        { ...root(path, directives.map((d, i) => block(i + 1, d)).join("\n")), owner },
      ],
      env: { [name]: path },
      pointer: rng.pick([
        `Your directives are in the file named by $${name}.`,
        `$${name} points at the directives for this host.`,
        `See the file in $${name} for pending work.`,
        `Pending directives: the file $${name} names.`,
      ]),
      learn: [...(seen.env ? [] : [`echo "$${name}"`]), `ls ${dir}`, `cat ${readme}`],
      retrieve: [rng.pick([`cat "$${name}"`, `cat ${path}`])],
    };
  },
};
