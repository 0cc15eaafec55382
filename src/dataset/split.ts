/**
 * Which split an item belongs to, as a function of its content key (a sha256 hex, e.g. of the answer script),
 * so one piece of content never lands in both files and every machine computes the same split.
 */
export function splitOf(keySha256: string, validShare: number): "train" | "valid" {
  return Number.parseInt(keySha256.slice(0, 8), 16) / 0x100000000 < validShare ? "valid" : "train";
}
