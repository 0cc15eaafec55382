/** Replaces a secret, and any long fragment of it a server echoes back, with a marker. */
export function redactSecret(text: string, secret: string | null | undefined): string {
  let out = text.replace(/\b(Bearer|Basic)\s+[^\s"',;]+/gi, "$1 [redacted]");
  if (!secret) return out;
  out = out.split(secret).join("[redacted]");
  // Servers often echo a key partly masked ("sk-ab****wxyz"); any token-like run of 8+
  // characters that is a piece of the key is redacted too.
  return out.replace(/[A-Za-z0-9_\-.]{8,}/g, (run) => (secret.includes(run) ? "[redacted]" : run));
}
