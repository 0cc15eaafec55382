/** One line per dimension: `name (N): value=count …`, the most frequent value first (the stats reports share it). */
export function dimensionLines(dimensions: Record<string, Record<string, number>>): string[] {
  return Object.entries(dimensions).map(([dim, counts]) => {
    const items = Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}=${v}`);
    return `${dim} (${items.length}): ${items.join(" ")}`;
  });
}

// C0 controls, DEL and C1 controls (ESC among them): what a terminal acts on instead of printing.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeControl(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code < 0x80 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`);
}

/**
 * Untrusted text (a dataset's command, a model's reply, a witness message) made safe to print for people: every
 * control character is written out (`\x1b`, `\n`, `\u009b`), so none can clear the screen, set a title or forge a
 * line such as a summary. With `multiline`, newlines stay (a block meant to span lines).
 */
export function printable(text: string, opts: { multiline?: boolean } = {}): string {
  return text.replace(opts.multiline ? CONTROL_BUT_NEWLINE : CONTROL, escapeControl);
}
