/**
 * Which split an item belongs to, as a function of its content key (a sha256 hex, e.g. of the answer script),
 * so one piece of content never lands in both files and every machine computes the same split.
 */
export function splitOf(keySha256: string, validShare: number): "train" | "valid" {
  return Number.parseInt(keySha256.slice(0, 8), 16) / 0x100000000 < validShare ? "valid" : "train";
}

/** From this many items on, a split with a positive valid share always has a validation line (mlx-lm refuses an empty one). */
export const MIN_ITEMS_FOR_VALID = 10;

/**
 * The splits of a whole set of items, by their content keys: each key's `splitOf`, then, when `validShare` > 0 and
 * there are at least MIN_ITEMS_FOR_VALID items, at least max(1, round(share·n)) items in valid — the train keys
 * with the lowest hashes move, a key with all its items. Deterministic in the set (not its order); one key, one split.
 */
export function splitAll(keysSha256: readonly string[], validShare: number): ("train" | "valid")[] {
  const of = new Map<string, "train" | "valid">();
  const items = new Map<string, number>();
  for (const k of keysSha256) {
    of.set(k, splitOf(k, validShare));
    items.set(k, (items.get(k) ?? 0) + 1);
  }
  const n = keysSha256.length;
  if (validShare > 0 && n >= MIN_ITEMS_FOR_VALID) {
    const want = Math.max(1, Math.round(validShare * n));
    let have = keysSha256.filter((k) => of.get(k) === "valid").length;
    const train = [...of.keys()].filter((k) => of.get(k) === "train").sort();
    for (const k of train) {
      if (have >= want) break;
      of.set(k, "valid");
      have += items.get(k) ?? 0;
    }
  }
  return keysSha256.map((k) => of.get(k) ?? "train");
}
