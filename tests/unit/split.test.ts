import { describe, expect, test } from "bun:test";
import { sha256 } from "../../src/dataset/hash.ts";
import { MIN_ITEMS_FOR_VALID, splitAll, splitOf } from "../../src/dataset/split.ts";

const keys = (n: number, salt = "k"): string[] => Array.from({ length: n }, (_, i) => sha256(`${salt}${i}`));
const count = (s: string[], which: string) => s.filter((x) => x === which).length;

describe("splitAll", () => {
  test("from 10 items on, at least max(1, round(share·n)) valid lines, the lowest-hash train keys moved", () => {
    for (const n of [10, 11, 25, 100]) {
      for (const share of [0.01, 0.1, 0.3]) {
        const k = keys(n, `n${n}s${share}`);
        const s = splitAll(k, share);
        const hashOnly = k.map((x) => splitOf(x, share));
        expect(count(s, "valid")).toBeGreaterThanOrEqual(Math.max(1, Math.round(share * n)));
        // Only train items move, and only the lowest of them: every moved key lies below every unmoved train key.
        k.forEach((_x, i) => {
          if (hashOnly[i] === "valid") expect(s[i]).toBe("valid");
        });
        const moved = k.filter((_x, i) => hashOnly[i] === "train" && s[i] === "valid");
        const stayed = k.filter((_, i) => s[i] === "train");
        for (const m of moved) for (const t of stayed) expect(m < t).toBe(true);
      }
    }
  });

  test("below 10 items, or with share 0, it is the hash split unchanged", () => {
    const k = keys(MIN_ITEMS_FOR_VALID - 1);
    expect(splitAll(k, 0.01)).toEqual(k.map((x) => splitOf(x, 0.01)));
    expect(count(splitAll(keys(50), 0), "valid")).toBe(0);
  });

  test("deterministic in the set, not its order; one key, one split", () => {
    const k = [...keys(12), sha256("k3")];
    const s = splitAll(k, 0.2);
    const r = splitAll([...k].reverse(), 0.2).reverse();
    expect(r).toEqual(s);
    expect(s[3]).toBe(s[12]!);
  });
});
