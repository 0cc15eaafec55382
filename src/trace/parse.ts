import { existsSync } from "node:fs";
import { InputError } from "../errors.ts";
import { READ_LIMITS, readBoundedText } from "../files.ts";
import { formatDecimal, parseDecimal, type Decimal } from "../decimal.ts";

/** A JSON number that keeps the text it was written with, and its exact value. */
export class JsonNumber {
  readonly value: Decimal;
  constructor(readonly text: string) {
    this.value = parseDecimal(text);
  }
  static of(value: Decimal): JsonNumber {
    return new JsonNumber(formatDecimal(value));
  }
  /** Written back verbatim by JSON.stringify: no float ever stands in for the lexeme. */
  toJSON(): unknown {
    return (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON(this.text);
  }
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | { [key: string]: JsonValue };

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

/**
 * Parses JSON keeping every number's lexeme. Bun passes the reviver the source text of each primitive
 * (the JSON.parse source-text-access proposal), so no float is ever compared. Duplicate keys are refused:
 * JSON.parse would keep the last silently, and a check must see what a reader sees.
 */
export function parseJsonExact(text: string, source: string): JsonValue {
  const duplicate = findDuplicateKey(text);
  if (duplicate) throw new InputError(`${source}: duplicate key ${JSON.stringify(duplicate)}`);
  const reviver: Reviver = (_key, value, context) => {
    if (typeof value !== "number") return value;
    const raw = context?.source;
    if (raw === undefined) throw new InputError(`${source}: this runtime does not expose number source text`);
    return new JsonNumber(raw);
  };
  try {
    return JSON.parse(text, reviver as (k: string, v: unknown) => unknown) as JsonValue;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${source}: not valid JSON (${(error as Error).message})`);
  }
}

/** Reads and parses a JSON file; every failure to read is an InputError (exit 2). */
export function readJsonExact(file: string): JsonValue {
  if (!existsSync(file)) throw new InputError(`${file}: no such file`);
  return parseJsonExact(readBoundedText(file, READ_LIMITS.trace, "JSON file"), file);
}

/** Scans object keys per nesting level; returns the first key seen twice in one object. */
function findDuplicateKey(text: string): string | undefined {
  const stack: (Set<string> | null)[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const top = stack[stack.length - 1];
      let k = j + 1;
      while (k < text.length && /\s/.test(text[k]!)) k++;
      if (top && text[k] === ":") {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, j + 1)) as string;
        } catch {
          return undefined;
        }
        if (top.has(key)) return key;
        top.add(key);
      }
      i = j + 1;
      continue;
    }
    if (c === "{") stack.push(new Set());
    else if (c === "[") stack.push(null);
    else if (c === "}" || c === "]") stack.pop();
    i++;
  }
  return undefined;
}

export function isObject(v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

/** RFC 6901 pointer segment escaping. */
export function pointerJoin(base: string, key: string | number): string {
  return `${base}/${String(key).replace(/~/g, "~0").replace(/\//g, "~1")}`;
}

/** Serialises a value with exact numbers, two-space indented, with a final newline. */
export function stringifyExact(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
