import { fencedBlocks } from "../dataset/chat.ts";
import type { ChatMessage } from "../llm/chat.ts";

/** The command a model reply stands for, and what else the reply held that did not run. */
export type ReplyCommand = { cmd: string; fenced: boolean; lang: string; dropped: number } | { invalid: string };

/** Shown to the model on the screen after a reply that held several commands (never recorded in training lines). */
export const ONE_COMMAND_NOTE = "[sekft] one command per turn: ran only the first";

/**
 * The documented rule for one command per reply:
 * 1. The first fenced block that holds a command (a block left open at the end of a cut reply counts); prose
 *    around it is ignored. Without a fence, the reply's own lines, skipping leading prose lines (a capitalised
 *    first word like "Sure!", "Let", "I", "The") and unwrapping a line that is one `inline code` span.
 * 2. Empty lines and `#` comments are skipped; in a block where lines start with a `$ ` prompt, only those lines
 *    are commands (the rest is output the model imagined), with the prompt removed.
 * 3. The first command is taken whole: `\` continuations, open quotes, here-documents, `if`/`case`/loops/braces
 *    and a line ending in `&&`, `||` or `|` continue it onto the next lines; `a && b` on one line is one command.
 * 4. Further commands are dropped and counted (`dropped`), so the operator can be told only the first ran.
 * Invalid when no command is left (an empty or prose-only reply) or it is longer than `maxBytes`.
 */
export function commandOf(reply: string, maxBytes: number): ReplyCommand {
  const blocks = fencedBlocks(reply);
  const block = blocks.length ? blocks.find((b) => commandsIn(b.body.split("\n")).length > 0) : openFence(reply);
  // A reply with fences speaks through them: its prose is never run, even when no block holds a command.
  const commands = block
    ? commandsIn(block.body.split("\n"))
    : blocks.length || /^(`{3,}|~{3,})/m.test(reply)
      ? []
      : commandsIn(withoutProse(reply.split("\n")));
  const cmd = commands[0]?.trim();
  if (!cmd) return { invalid: "the reply holds no command" };
  if (Buffer.byteLength(cmd) > maxBytes) return { invalid: `the command is longer than ${maxBytes} bytes` };
  return { cmd, fenced: block !== undefined, lang: block?.lang ?? "", dropped: commands.length - 1 };
}

/** A reply cut inside its first fence (no closing line): the rest after the opening line. */
function openFence(reply: string): { lang: string; body: string } | undefined {
  const m = /^(`{3,}|~{3,})[ \t]*([^\n`]*)\n([\s\S]*)$/m.exec(reply);
  if (!m || commandsIn(m[3]!.split("\n")).length === 0) return undefined;
  return { lang: (m[2] ?? "").trim().split(/\s+/)[0]!.toLowerCase(), body: m[3]! };
}

const PROSE_WORD = /^[A-Z][a-z']*[,.!:?]?$/;

/** A reply without a fence: leading prose lines go, and a line that is a single `code span` is unwrapped. */
function withoutProse(lines: string[]): string[] {
  const out = lines.map((l) => l.trim().replace(/^`([^`]+)`[.:]?$/, "$1"));
  const first = out.findIndex((l) => l !== "" && !PROSE_WORD.test(l.split(/\s+/)[0]!));
  return first < 0 ? [] : out.slice(first);
}

/** Splits lines into whole commands (rules 2 and 3 of {@link commandOf}). */
export function commandsIn(lines: string[]): string[] {
  const prompted = lines.some((l) => /^\s*\$ /.test(l));
  const out: string[] = [];
  let current: string[] = [];
  let state = freshState();
  for (const raw of lines) {
    if (state.heredocs.length > 0) {
      current.push(raw);
      const delim = state.heredocs[0]!;
      if ((delim.strip ? raw.replace(/^\t+/, "") : raw) === delim.word) state.heredocs.shift();
      if (state.heredocs.length === 0 && isComplete(state)) {
        out.push(current.join("\n"));
        current = [];
        state = freshState();
      }
      continue;
    }
    let line = raw;
    if (current.length === 0) {
      if (prompted) {
        if (!/^\s*\$ /.test(line)) continue;
        line = line.replace(/^\s*\$ +/, "");
      }
      if (line.trim() === "" || line.trim().startsWith("#")) continue;
    }
    current.push(line);
    scanLine(line, state);
    if (state.heredocs.length === 0 && isComplete(state)) {
      out.push(current.join("\n"));
      current = [];
      state = freshState();
    }
  }
  if (current.length) out.push(current.join("\n"));
  return out;
}

interface ScanState {
  quote: "'" | '"' | null;
  /** `if`/`case`/loops/braces/subshells opened and not yet closed. */
  depth: number;
  /** The line ended in `\`, `&&`, `||` or `|`. */
  continues: boolean;
  heredocs: { word: string; strip: boolean }[];
  /** Open `(` and `$(` not yet closed. */
  parens: number;
}

const freshState = (): ScanState => ({ quote: null, depth: 0, continues: false, heredocs: [], parens: 0 });
const isComplete = (s: ScanState) => s.quote === null && s.depth <= 0 && !s.continues;

const OPENERS = new Set(["if", "case", "for", "while", "until", "{"]);
const CLOSERS = new Set(["fi", "esac", "done", "}"]);
// A reserved word only counts where a command starts: after these words or operators (or at the start).
const COMMAND_START = new Set(["", ";", "&", "&&", "||", "|", "(", "then", "do", "else", "elif", "{", "!"]);

/**
 * Walks one line: quotes, comments, here-document openers, operators and reserved words at command position.
 * A small scanner of the constructs that make a command span lines, not a full shell grammar (no parser is a
 * dependency of sekft); anything it misreads is at worst run as a longer or shorter command the screen shows.
 */
function scanLine(line: string, s: ScanState): void {
  let word = "";
  let prev = "";
  let wordQuoted = false;
  let last = "";
  const endWord = () => {
    if (word === "" && !wordQuoted) return;
    if (!wordQuoted && COMMAND_START.has(prev)) {
      if (OPENERS.has(word)) s.depth++;
      else if (CLOSERS.has(word)) s.depth--;
    }
    prev = wordQuoted ? "\0" : word;
    last = prev;
    word = "";
    wordQuoted = false;
  };
  const operator = (op: string) => {
    endWord();
    prev = op;
    last = op;
  };
  s.continues = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (s.quote === "'") {
      if (c === "'") s.quote = null;
      continue;
    }
    if (c === "\\") {
      if (i === line.length - 1) {
        s.continues = true;
        return;
      }
      word += line[++i];
      wordQuoted = true;
      continue;
    }
    if (s.quote === '"') {
      if (c === '"') s.quote = null;
      continue;
    }
    if (c === "'" || c === '"') {
      s.quote = c;
      wordQuoted = true;
      continue;
    }
    if (c === "#" && word === "" && !wordQuoted) break;
    if (/\s/.test(c)) {
      endWord();
      continue;
    }
    if (c === "<" && line[i + 1] === "<" && line[i + 2] !== "<") {
      endWord();
      const m = /^<<(-?)[ \t]*(['"]?)([A-Za-z0-9_.-]+)\2/.exec(line.slice(i));
      if (m) {
        s.heredocs.push({ word: m[3]!, strip: m[1] === "-" });
        i += m[0].length - 1;
        prev = "\0";
        last = prev;
        continue;
      }
    }
    if (c === "$" && line[i + 1] === "(") {
      s.depth++;
      s.parens++;
      word += "$(";
      i++;
      continue;
    }
    if (c === "(" || c === ")") {
      // In a `case`, `pattern)` closes nothing.
      if (c === ")" && s.parens === 0) {
        word += c;
        continue;
      }
      operator(c);
      s.parens += c === "(" ? 1 : -1;
      s.depth += c === "(" ? 1 : -1;
      continue;
    }
    if (c === ";" || c === "&" || c === "|") {
      const two = line.slice(i, i + 2);
      if (two === "&&" || two === "||" || two === ";;") {
        operator(two);
        i++;
      } else operator(c);
      continue;
    }
    word += c;
  }
  endWord();
  if (last === "&&" || last === "||" || last === "|") s.continues = true;
}

/** One exchange of a model operator's transcript: what it said (as sent back to it) and the screen that followed. */
export interface Exchange {
  said: string;
  screen: string;
}

/**
 * The request a model operator is sent: the scaffold as the system turn, the login screen as the first user
 * turn, then each command it chose as an assistant turn and the screen that followed as the next user turn —
 * a chat transcript, never one user message holding the history (small models answer that by repeating).
 */
export function operatorMessages(scaffold: string, login: string, exchanges: readonly Exchange[]): ChatMessage[] {
  const out: ChatMessage[] = [
    { role: "system", content: scaffold },
    { role: "user", content: login },
  ];
  for (const e of exchanges) out.push({ role: "assistant", content: e.said }, { role: "user", content: e.screen });
  return out;
}

/** A command as an assistant turn: in the reply's own form (a fence with its language, or bare), and nothing else. */
export function saidAs(c: { cmd: string; fenced: boolean; lang: string }): string {
  if (!c.fenced) return c.cmd;
  const ticks = "`".repeat(Math.max(3, ...[...c.cmd.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  return `${ticks}${c.lang}\n${c.cmd}\n${ticks}`;
}
