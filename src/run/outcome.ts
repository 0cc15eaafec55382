/**
 * What one item of a run came to, typed: kept, rejected for a reason of a named kind, or no verdict (the item
 * was cut short by the run's stop, or its failure is retried on the next run rather than counted).
 */
export type Outcome = { kind: "kept" } | { kind: "rejected"; reject: Reject } | { kind: "none" };

/** Why an item was rejected: `kind` groups rejects ("timeout", "verify-failed"), `detail` says what happened. */
export interface Reject {
  kind: string;
  detail: string;
}

export const KEPT: Outcome = { kind: "kept" };
export const NO_VERDICT: Outcome = { kind: "none" };

export function rejected(kind: string, detail = ""): Outcome {
  return { kind: "rejected", reject: { kind, detail } };
}

/** A reject as one line, "kind: detail", the form rejects files and logs have always shown. */
export function rejectText(r: Reject): string {
  return r.detail ? `${r.kind}: ${r.detail}` : r.kind;
}

/**
 * Reads a reason written as prose with its kind first ("timeout: the script ran longer than 60s"): the one
 * place such a line is taken apart. Producers that know their kind build a `Reject` directly.
 */
export function rejectFromText(text: string): Reject {
  const at = text.indexOf(":");
  const kind = (at < 0 ? text : text.slice(0, at)).trim();
  return { kind: kind || "rejected", detail: at < 0 ? "" : text.slice(at + 1).trim() };
}
