/** Shell text sekft writes or reads: quoting, scripts parsed as a shell reads them, the variable dump of `set`, and the one command form a verdict accepts. */
import type sh from "mvdan-sh";

/** One word for sh: single-quoted, each `'` written as `'\''`. Nothing in it expands. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** The grammar a script is read with: POSIX sh (dash runs it) or bash. */
export type ShellLang = "sh" | "bash";

/** A script the shell would refuse to run: where (1-based line and column) and why. */
export class ShellSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly col: number,
    readonly reason: string,
  ) {
    super(`line ${line}, column ${col}: ${reason}`);
  }
}

// The parser (mvdan/sh compiled to JS, ~1.5 MB) is loaded on first use only, so commands that never read a script never pay for it.
let lib: typeof sh | undefined;
function shellLib(): typeof sh {
  lib ??= require("mvdan-sh") as typeof sh;
  return lib;
}

/** One simple command of a parsed script: its words (undefined where a word expands at run time), redirections, place and text. */
export interface SimpleCommand {
  words: (string | undefined)[];
  /** Each redirection's operator (`>`, `>>`, `<`, `<<`, …) and its target word (undefined when it expands). */
  redirs: { op: string; word: string | undefined }[];
  /** 1-based line of the command's first word. */
  line: number;
  /** The command's source text, continuation lines joined by one space. */
  text: string;
}

/** A script as the shell reads it: its statements, words and positions (byte offsets into the UTF-8 text). */
export class ParsedScript {
  private readonly bytes: Buffer;
  constructor(
    readonly text: string,
    readonly file: sh.File,
  ) {
    this.bytes = Buffer.from(text, "utf8");
  }

  /** The source between two byte offsets. */
  source(from: number, to = this.bytes.length): string {
    return this.bytes.subarray(from, to).toString("utf8");
  }

  /** A node's source text. */
  of(node: sh.Node): string {
    return this.source(node.Pos().Offset(), node.End().Offset());
  }

  /** The top-level statements, in order. */
  get statements(): sh.Stmt[] {
    return this.file.Stmts.filter((s): s is sh.Stmt => s !== null);
  }

  /** Visits every node (statements nested in lists, pipelines, functions, substitutions and blocks included). */
  walk(visit: (node: sh.Node, type: string) => void, root: sh.Node = this.file): void {
    const { syntax } = shellLib();
    syntax.Walk(root, (node) => {
      if (node) visit(node, syntax.NodeType(node));
      return true;
    });
  }

  /** Every simple command in the script, in source order, with the redirections of its statement. */
  commands(): SimpleCommand[] {
    const out: SimpleCommand[] = [];
    this.walk((node, type) => {
      if (type !== "Stmt") return;
      const stmt = node as sh.Stmt;
      if (!stmt.Cmd || shellLib().syntax.NodeType(stmt.Cmd) !== "CallExpr") return;
      const call = stmt.Cmd as sh.CallExpr;
      out.push({
        words: call.Args.map((w) => (w ? wordValue(w) : undefined)),
        redirs: stmt.Redirs.filter((r): r is sh.Redirect => r !== null).map((r) => ({ op: this.redirOp(r), word: r.Word ? wordValue(r.Word) : undefined })),
        line: stmt.Pos().Line(),
        text: this.of(stmt).replace(/[ \t]*\\\n[ \t]*/g, " "),
      });
    });
    return out.sort((a, b) => a.line - b.line);
  }

  /** The operator of a redirection, read from the source at its position. */
  redirOp(r: sh.Redirect): string {
    return /^(&>>|&>|>>|>\||>&|<<-|<<<|<<|<&|<>|>|<)/.exec(this.source(r.OpPos.Offset(), r.OpPos.Offset() + 3))?.[1] ?? "?";
  }
}

/**
 * Parses a script as `sh` (POSIX) or `bash` reads it: continuation lines, quotes, here-documents, lists and
 * comments. Throws `ShellSyntaxError` (with line and column) for text the shell would refuse.
 */
export function parseShell(text: string, lang: ShellLang = "sh"): ParsedScript {
  const { syntax } = shellLib();
  const parser = syntax.NewParser(syntax.KeepComments(false), syntax.Variant(lang === "bash" ? syntax.LangBash : syntax.LangPOSIX));
  try {
    return new ParsedScript(text, parser.Parse(text, "script"));
  } catch (error) {
    const said = String((error as { Error?: () => string }).Error?.() ?? (error as Error).message ?? error);
    const m = /^script:(\d+):(\d+): ([\s\S]*)$/.exec(said);
    if (m) throw new ShellSyntaxError(Number(m[1]), Number(m[2]), m[3]!);
    throw new ShellSyntaxError(0, 0, said);
  }
}

/** A word's value as the shell would pass it, quotes and escapes removed; undefined when any part of it expands at run time. */
export function wordValue(word: sh.Word): string | undefined {
  let out = "";
  for (const part of word.Parts) {
    const v = partValue(part, false);
    if (v === undefined) return undefined;
    out += v;
  }
  return out;
}

function partValue(part: sh.Node, quoted: boolean): string | undefined {
  switch (shellLib().syntax.NodeType(part)) {
    case "Lit": {
      const raw = (part as sh.Lit).Value;
      return quoted ? raw.replace(/\\\n/g, "").replace(/\\([$`"\\])/g, "$1") : raw.replace(/\\\n/g, "").replace(/\\(.)/gs, "$1");
    }
    case "SglQuoted":
      return (part as sh.SglQuoted).Dollar ? undefined : (part as sh.SglQuoted).Value;
    case "DblQuoted": {
      let out = "";
      for (const p of (part as sh.DblQuoted).Parts) {
        const v = partValue(p, true);
        if (v === undefined) return undefined;
        out += v;
      }
      return out;
    }
    default:
      return undefined;
  }
}

// What a verdict's command may hold: words that are literals, quotes and plain variable expansions.
const EXPANDS_ONLY = new Set(["Lit", "SglQuoted", "DblQuoted", "ParamExp", "Word", "CallExpr", "Stmt", "File"]);

/**
 * Why a text is not one simple command whose words may only expand variables: a list, pipeline, redirection,
 * subshell, background job, assignment, command substitution or a trailing backslash would let text other than
 * the command's own run or print around it. Undefined when it is simple.
 */
export function simpleCommandProblem(line: string): string | undefined {
  if (/(^|[^\\])(\\\\)*\\$/.test(line)) return "it ends with a backslash";
  let parsed: ParsedScript;
  try {
    parsed = parseShell(line);
  } catch (error) {
    const e = error as ShellSyntaxError;
    return /quote/.test(e.reason) ? "a quote is not closed" : `it does not parse (${e.message})`;
  }
  const stmts = parsed.statements;
  if (stmts.length !== 1) {
    const between = stmts.length > 1 ? parsed.source(stmts[0]!.End().Offset(), stmts[1]!.Pos().Offset()) : "";
    return between.includes("\n")
      ? "it spans lines without a backslash"
      : stmts.length
        ? `it holds the operator ${stmts[0]!.Background ? "&" : ";"}`
        : "it holds no command";
  }
  const stmt = stmts[0]!;
  const { syntax } = shellLib();
  const kind = syntax.NodeType(stmt.Cmd);
  if (kind === "BinaryCmd")
    return `it holds the operator ${parsed
      .source((stmt.Cmd as sh.BinaryCmd).OpPos.Offset())
      .slice(0, 2)
      .replace(/[^|&]/g, "")}`;
  if (kind === "Subshell" || kind === "Block") return "it opens a subshell";
  if (kind !== "CallExpr") return `it is a compound command (${kind})`;
  if (stmt.Background) return "it holds the operator &";
  if (stmt.Negated) return "it negates its status";
  if (stmt.Redirs.length) return "it redirects";
  if ((stmt.Cmd as sh.CallExpr).Assigns.length) return "it assigns variables";
  let problem: string | undefined;
  parsed.walk((node, type) => {
    if (problem || EXPANDS_ONLY.has(type)) {
      if (type === "ParamExp") {
        const p = node as sh.ParamExp;
        if (p.Exp || p.Repl || p.Slice || p.Index || p.Excl || p.Length) problem ??= "it expands a variable with an operator";
      }
      return;
    }
    problem = type === "CmdSubst" || type === "ProcSubst" ? "it substitutes a command" : `it holds ${type}`;
  }, stmt);
  return problem;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The variables in the output of `set` (dash: `NAME='value'` with `'\''`; bash also `NAME=value` and
 * `NAME=$'…'`). Lines that are not assignments (bash prints functions after the variables) are skipped, and a
 * value that does not parse drops its variable: the reader gets plain strings, never code.
 */
export function parseSetOutput(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eol = text.indexOf("\n", i);
    const end = eol < 0 ? text.length : eol;
    const eq = text.indexOf("=", i);
    const name = eq > i && eq < end ? text.slice(i, eq) : "";
    if (!NAME.test(name)) {
      i = end + 1;
      continue;
    }
    const parsed = parseWord(text, eq + 1);
    if (parsed) {
      vars[name] = parsed.value;
      i = parsed.next;
    } else i = end + 1;
  }
  return vars;
}

const C_ESCAPES: Record<string, string> = {
  n: "\n",
  t: "\t",
  r: "\r",
  a: "\x07",
  b: "\b",
  e: "\x1b",
  E: "\x1b",
  f: "\f",
  v: "\v",
  "\\": "\\",
  "'": "'",
  '"': '"',
};

/** One word from `at` to the end of its line (quotes may span lines); undefined when it does not end well. */
function parseWord(text: string, at: number): { value: string; next: number } | undefined {
  let value = "";
  let i = at;
  while (i < text.length && text[i] !== "\n") {
    const c = text[i]!;
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) return undefined;
      value += text.slice(i + 1, close);
      i = close + 1;
    } else if (c === "$" && text[i + 1] === "'") {
      i += 2;
      while (i < text.length && text[i] !== "'") {
        if (text[i] === "\\" && i + 1 < text.length) {
          const e = text[i + 1]!;
          if (C_ESCAPES[e] !== undefined) value += C_ESCAPES[e];
          else if (/[0-7]/.test(e)) {
            const oct = /^[0-7]{1,3}/.exec(text.slice(i + 1))![0];
            value += String.fromCharCode(Number.parseInt(oct, 8));
            i += oct.length - 1;
          } else value += `\\${e}`;
          i += 2;
        } else value += text[i++];
      }
      if (i >= text.length) return undefined;
      i += 1;
    } else if (c === "\\" && i + 1 < text.length) {
      value += text[i + 1];
      i += 2;
    } else if (c === '"') return undefined;
    else {
      value += c;
      i += 1;
    }
  }
  return { value, next: i + 1 };
}
