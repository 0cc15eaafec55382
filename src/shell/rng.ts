import { createHash } from "node:crypto";

/** A seeded PRNG (mulberry32): the same seed gives the same bundles on every machine. */
export class Rng {
  private state: number;
  constructor(seed: number | string) {
    const text = String(seed);
    this.state = createHash("sha256").update(text).digest().readUInt32LE(0);
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
  /** Distinct picks, in random order. */
  sample<T>(items: readonly T[], n: number): T[] {
    return this.shuffle(items).slice(0, n);
  }
}

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
