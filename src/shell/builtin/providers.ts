import type { Fixture } from "../bundle.ts";
import type { Rng } from "../../rng.ts";

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
  learn: string[];
  retrieve: string[];
}

type ProviderTemplate = (rng: Rng, directives: Directive[], depth: string) => ProviderInstance;

const root = (path: string, content: string, mode = 0o644): Fixture => ({ path, type: "file", content, mode, owner: "root" });
const MAN1 = "/usr/local/share/man/man1";
const ORDER =
  "Carry the directives out in the order given. When there are none, there is nothing to do: log out. If a directive cannot be carried out, stop and panic with the reason.";

function manPage(name: string, section: number, summary: string, body: string): string {
  const head = `${name.toUpperCase()}(${section})`;
  return `${head}${" ".repeat(Math.max(1, 60 - 2 * head.length))}${head}\n\nNAME\n       ${name} - ${summary}\n\n${body
    .split("\n")
    .map((l) => (l ? `       ${l}` : ""))
    .join("\n")}\n`;
}

/** A dash script whose self-documentation follows the doc depth: --help, a man page, or usage on error. */
function documentedTool(tool: string, summary: string, doc: string, depth: string, body: string): { script: string; fixtures: Fixture[]; learn: string } {
  const help =
    depth === "help"
      ? `  -h|--help|help) cat <<'DOC'\n${tool} - ${summary}\n\n${doc}\nDOC\n    exit 0 ;;\n`
      : depth === "man"
        ? `  -h|--help|help) echo "${tool}: see the manual page ${tool}(1)"; exit 0 ;;\n`
        : "";
  const usage =
    depth === "usage_error"
      ? `cat >&2 <<'DOC'\n${tool}: bad usage\n\n${doc}\nDOC`
      : depth === "man"
        ? `echo "${tool}: bad usage; see ${tool}(1)" >&2`
        : `echo "${tool}: bad usage; try ${tool} --help" >&2`;
  const script = `#!/bin/sh\n# ${tool} - ${summary}\nusage() {\n${usage}\nexit 2\n}\ncase "\${1-}" in\n${body}${help}  *) usage ;;\nesac\n`;
  const fixtures = depth === "man" ? [root(`${MAN1}/${tool}.1`, manPage(tool, 1, summary, doc))] : [];
  const learn = depth === "help" ? `${tool} --help` : depth === "man" ? `man ${tool}` : tool;
  return { script, fixtures, learn };
}

const queueEntry = (d: Directive): string => `${d.title}\n\n${d.text}\n`;

/** The five builtin directive providers. */
export const PROVIDERS: Record<string, ProviderTemplate> = {
  subcommand(rng, directives, depth) {
    const tool = rng.pick(["taskctl", "opsq", "workctl"]);
    const q = `/var/lib/${tool}/queue`;
    const doc = `USAGE\n  ${tool} list       list pending directives (ID and title)\n  ${tool} show ID    print one directive in full\n\n${ORDER}`;
    const body = `  list)\n    found=0\n    for f in ${q}/*; do\n      [ -f "$f" ] || continue\n      found=1\n      printf '%s\\t%s\\n' "\${f##*/}" "$(head -n 1 "$f")"\n    done\n    [ "$found" = 1 ] || echo "no pending directives"\n    exit 0 ;;\n  show)\n    if [ -z "\${2-}" ] || [ ! -f "${q}/\${2-}" ]; then echo "${tool}: no such directive: \${2-}" >&2; exit 1; fi\n    cat "${q}/$2"\n    exit 0 ;;\n`;
    const t = documentedTool(tool, "the operator directive queue", doc, depth, body);
    return {
      fixtures: [
        root(`/usr/local/bin/${tool}`, t.script, 0o755),
        ...t.fixtures,
        { path: q, type: "dir", mode: 0o755, owner: "root" },
        ...directives.map((d) => root(`${q}/${d.id}`, queueEntry(d))),
      ],
      env: {},
      pointer: `Directives for this host are queued in ${tool}.`,
      learn: [t.learn],
      retrieve: [`${tool} list`, ...directives.map((d) => `${tool} show ${d.id}`)],
    };
  },
  single_flag(rng, directives, depth) {
    const tool = rng.pick(["nextjob", "orders", "pending"]);
    const flag = rng.pick(["-a", "-p", "--all"]);
    const data = `/var/lib/${tool}/pending`;
    const doc = `USAGE\n  ${tool} ${flag}    print every pending directive\n\n${ORDER}`;
    const body = `  ${flag})\n    if [ -s ${data} ]; then cat ${data}; else echo "queue is empty"; fi\n    exit 0 ;;\n`;
    const t = documentedTool(tool, "print pending directives", doc, depth, body);
    const text = directives.map((d, i) => `== ${i + 1}: ${d.title} ==\n${d.text}\n`).join("\n");
    return {
      fixtures: [root(`/usr/local/bin/${tool}`, t.script, 0o755), ...t.fixtures, root(data, text)],
      env: {},
      pointer: `Run ${tool} to see what is pending on this host.`,
      learn: [t.learn],
      retrieve: [`${tool} ${flag}`],
    };
  },
  spool(rng, directives, depth) {
    const dirPath = rng.pick(["/var/spool/directives", "/var/spool/ops"]);
    const doc = `Each *.directive file in ${dirPath} holds one directive: a title line, a blank line, the text.\nFiles are processed in order of their names.\n${ORDER}`;
    const files = directives.map((d, i) => root(`${dirPath}/${String(i + 1).padStart(4, "0")}.directive`, queueEntry(d)));
    const docs =
      depth === "man"
        ? [root("/usr/local/share/man/man5/directives.5", manPage("directives", 5, "the directive spool", doc))]
        : [root(`${dirPath}/README`, `${doc}\n`)];
    return {
      fixtures: [{ path: dirPath, type: "dir", mode: 0o755, owner: "root" }, ...docs, ...files],
      env: {},
      pointer: depth === "man" ? `Directives are spooled in ${dirPath}; the format is described in directives(5).` : `Directives are spooled in ${dirPath}.`,
      learn: depth === "man" ? ["man directives"] : [`ls ${dirPath}`, `cat ${dirPath}/README`],
      retrieve: [...(depth === "man" ? [`ls ${dirPath}`] : []), ...files.map((f) => `cat ${f.path}`)],
    };
  },
  man_tool(rng, directives, _depth) {
    const tool = rng.pick(["jobq", "duty", "dispatch"]);
    const q = `/var/lib/${tool}`;
    const doc = `SYNOPSIS\n  ${tool} -l\n  ${tool} -s ID\n\nOPTIONS\n  -l      list pending directives, one ID and title per line\n  -s ID   show the directive ID in full\n\n${ORDER}`;
    const body = `  -l)\n    found=0\n    for f in ${q}/*.job; do [ -f "$f" ] && found=1 && printf '%s\\t%s\\n' "$(basename "$f" .job)" "$(head -n 1 "$f")"; done\n    [ "$found" = 1 ] || echo "no pending directives"\n    exit 0 ;;\n  -s)\n    if [ ! -f "${q}/\${2-}.job" ]; then echo "${tool}: no such job: \${2-}" >&2; exit 1; fi\n    cat "${q}/$2.job"\n    exit 0 ;;\n`;
    const t = documentedTool(tool, "directive dispatcher", doc, "man", body);
    return {
      fixtures: [
        root(`/usr/local/bin/${tool}`, t.script, 0o755),
        ...t.fixtures,
        { path: q, type: "dir", mode: 0o755, owner: "root" },
        ...directives.map((d) => root(`${q}/${d.id}.job`, queueEntry(d))),
      ],
      env: {},
      pointer: `Pending directives are handed out by ${tool}.`,
      learn: [t.learn],
      retrieve: [`${tool} -l`, ...directives.map((d) => `${tool} -s ${d.id}`)],
    };
  },
  env_file(rng, directives, _depth) {
    const name = rng.pick(["OPS_DIRECTIVES", "DIRECTIVES_FILE", "WORK_ORDERS"]);
    const path = rng.pick(["/var/lib/ops/directives.txt", "/home/op/.config/ops/directives"]);
    const header = `# Directives for this host, one block per directive: [N] title, then the text.\n# ${ORDER}\n`;
    const blocks = directives.map((d, i) => `\n[${i + 1}] ${d.title}\n${d.text}\n`).join("");
    return {
      fixtures: [{ ...root(path, header + blocks), owner: path.startsWith("/home/op") ? "op" : "root" }],
      env: { [name]: path },
      pointer: `Your directives are in the file named by $${name}.`,
      learn: [`echo "$${name}"`],
      retrieve: [`cat "$${name}"`],
    };
  },
};
