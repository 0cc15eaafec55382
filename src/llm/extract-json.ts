/** The outcome of reading a model's reply as one JSON object. */
export type ExtractedJson = { ok: true; value: Record<string, unknown> } | { ok: false; reason: string };

// Beyond this a reply is not a bundle but a runaway generation; scanning it would only cost time.
const MAX_REPLY_CHARS = 2_000_000;
// Candidate openings tried before giving up, so prose full of braces stays linear-ish.
const MAX_CANDIDATES = 64;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Reads the first JSON object in a reply: the whole text, a ```json fence, or a balanced {...} inside prose. */
export function extractJsonObject(text: string): ExtractedJson {
  if (text.length > MAX_REPLY_CHARS) return { ok: false, reason: `reply is too large (${text.length} characters)` };
  const trimmed = text.trim();
  if (trimmed === "") return { ok: false, reason: "reply is empty" };
  const whole = tryParse(trimmed);
  if (whole.ok) return whole;

  for (const m of trimmed.matchAll(/```[ \t]*(?:json|JSON)?[ \t]*\r?\n([\s\S]*?)```/g)) {
    const fenced = tryParse((m[1] ?? "").trim());
    if (fenced.ok) return fenced;
  }

  let start = trimmed.indexOf("{");
  for (let n = 0; start >= 0 && n < MAX_CANDIDATES; n++) {
    const end = matchingBrace(trimmed, start);
    if (end > start) {
      const inner = tryParse(trimmed.slice(start, end + 1));
      if (inner.ok) return inner;
    }
    start = trimmed.indexOf("{", start + 1);
  }
  return { ok: false, reason: `reply is not a JSON object (${whole.reason})` };
}

function tryParse(text: string): ExtractedJson {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value)
      ? { ok: true, value }
      : { ok: false, reason: `top-level JSON is ${Array.isArray(value) ? "an array" : typeof value}, not an object` };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

/** Index of the brace closing the one at `open`, skipping braces inside strings; -1 if unbalanced. */
function matchingBrace(text: string, open: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i;
  }
  return -1;
}
