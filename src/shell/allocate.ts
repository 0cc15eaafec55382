/** Splits `count` by weight with largest remainders, so small runs still get their share of each entry. */
export function allocate(weights: Record<string, number>, count: number): string[] {
  const names = Object.keys(weights).filter((k) => weights[k]! > 0);
  const total = names.reduce((s, k) => s + weights[k]!, 0);
  const exact = names.map((k) => ({ k, q: (weights[k]! / total) * count }));
  const out = new Map(exact.map(({ k, q }) => [k, Math.floor(q)]));
  let left = count - [...out.values()].reduce((a, b) => a + b, 0);
  for (const { k } of [...exact].sort((a, b) => b.q - Math.floor(b.q) - (a.q - Math.floor(a.q)) || (a.k < b.k ? -1 : 1))) {
    if (left-- <= 0) break;
    out.set(k, out.get(k)! + 1);
  }
  return names.flatMap((k) => Array<string>(out.get(k)!).fill(k));
}
