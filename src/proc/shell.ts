/** Shell text sekft writes or reads: quoting, the variable dump of `set`, and the one command form a verdict accepts. */

/** One word for sh: single-quoted, each `'` written as `'\''`. Nothing in it expands. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/**
 * Why a line is not one simple command whose words may only expand variables: a list, pipeline, redirection,
 * subshell, background job, command substitution or a trailing backslash would let text other than the
 * command's own run or print around it. Undefined when it is simple.
 */
export function simpleCommandProblem(line: string): string | undefined {
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      continue;
    }
    if (c === "\\") {
      if (i === line.length - 1) return "it ends with a backslash";
      i += 1; // an escaped character, or a line continuation (backslash-newline)
      continue;
    }
    if (c === "`" || (c === "$" && line[i + 1] === "(")) return "it substitutes a command";
    if (quote === '"') {
      if (c === '"') quote = undefined;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === "\n") return "it spans lines without a backslash";
    else if (";&|".includes(c)) return `it holds the operator ${c}`;
    else if ("<>".includes(c)) return "it redirects";
    else if ("()".includes(c)) return "it opens a subshell";
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]!))) return undefined;
  }
  return quote ? "a quote is not closed" : undefined;
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
