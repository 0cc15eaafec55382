// A run of this many characters that is a piece of the key counts as the key (servers echo keys partly masked).
const FRAGMENT = 8;
const TOKEN_RUN = new RegExp(`[A-Za-z0-9_\\-.]{${FRAGMENT},}`, "g");
const ALNUM_RUN = new RegExp(`[A-Za-z0-9]{${FRAGMENT},}`, "g");

/** Replaces a secret, and any long fragment of it a server echoes back, with a marker. */
export function redactSecret(text: string, secret: string | null | undefined): string {
  let out = text.replace(/\b(Bearer|Basic)\s+[^\s"',;]+/gi, "$1 [redacted]");
  if (!secret) return out;
  out = out.split(secret).join("[redacted]");
  // Any token-like run of 8+ characters that is a piece of the key is redacted too ("sk-ab****wxyz"), and so
  // is any letters-and-digits run inside a longer token (a key whose dashes were rewritten: "sk_ab_cdef…").
  out = out.replace(TOKEN_RUN, (run) => (secret.includes(run) ? "[redacted]" : run));
  return out.replace(ALNUM_RUN, (run) => (secret.includes(run) ? "[redacted]" : run));
}

/** True when the text holds the secret or an 8+ character piece of it (see {@link redactSecret}). */
export function containsSecret(text: string, secret: string | null | undefined): boolean {
  if (!secret || secret.length < FRAGMENT) return false;
  if (text.includes(secret)) return true;
  const pieces = [...(text.match(TOKEN_RUN) ?? []), ...(text.match(ALNUM_RUN) ?? [])];
  return pieces.some((run) => secret.includes(run));
}
