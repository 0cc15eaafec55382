/** Checks that a command sequence uses only names and flags that were on a screen before it. */

/** Discovery moves anyone may make without having seen a name: the conventional places. */
export const CONVENTIONAL = new Set(["cat /etc/motd", "env", "ls", "ls -a", "ls ~", "ls -a ~"]);
/** Standard utilities: their flags are general knowledge; their file arguments are still checked. */
const STANDARD = new Set([
  "cat",
  "ls",
  "env",
  "echo",
  "cd",
  "man",
  "printf",
  "mv",
  "chmod",
  "tar",
  "sha256sum",
  "sed",
  "wc",
  "mkdir",
  "find",
  "sort",
  "which",
  "command",
  "head",
  "cp",
  "rm",
  "touch",
]);
/** Utilities whose non-flag arguments are names that must have been seen (a page, a program). */
const NAMES_ARGS = new Set(["man", "which", "command"]);

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
export const onScreen = (token: string, text: string): boolean => new RegExp(`(^|[^A-Za-z0-9_.-])${esc(token)}($|[^A-Za-z0-9_-])`).test(text);

const tokens = (cmd: string): string[] => (cmd.match(/'[^']*'|"[^"]*"|\S+/g) ?? []).map((t) => t.replace(/^(['"])([\s\S]*)\1$/, "$2"));
const pathLike = (t: string): boolean => /^[\w.~/$-]+$/.test(t) && !t.startsWith("-") && (t.includes("/") || /\.[A-Za-z]\w*$/.test(t) || t.startsWith("$"));

/** The first name or flag in `cmd` that `before` (everything shown so far) does not hold, or null. */
export function unseenFact(cmd: string, before: string): string | null {
  if (CONVENTIONAL.has(cmd)) return null;
  for (const part of cmd.split(/\s(?:\|\||&&|;|\|)\s/)) {
    const why = unseenInSimple(part.trim(), before);
    if (why) return why;
  }
  return null;
}

function unseenInSimple(cmd: string, before: string): string | null {
  const words = tokens(cmd);
  const program = words[0] ?? "";
  const unseen = (t: string): string | null => (onScreen(t, before) ? null : t);
  if (!STANDARD.has(program) && unseen(program)) return program;
  for (const [i, w] of words.entries()) {
    if (i === 0) continue;
    if (!STANDARD.has(program)) {
      if (w === "--help") continue;
      for (const part of w.split("=")) if (part && unseen(part)) return part;
    } else if (NAMES_ARGS.has(program) && !w.startsWith("-") && !/^\d$/.test(w)) {
      if (unseen(w)) return w;
    } else if (words[i - 1] === ">" && unseen(w)) {
      return w;
    }
    if (!pathLike(w)) continue;
    for (const part of w.split("/")) {
      const name = part.startsWith("$") ? part.slice(1) : part;
      if (name && name !== "~" && name !== "." && unseen(name)) return name;
    }
  }
  return null;
}
