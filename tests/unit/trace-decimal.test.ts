import { describe, expect, test } from "bun:test";
import { add, approxRatio, compare, formatDecimal, formatRatio, mul, normalize, parseDecimal, ratio, sum } from "../../src/decimal.ts";
import { parseJsonExact, type JsonNumber, stringifyExact } from "../../src/trace/parse.ts";
import { parseDateTime } from "../../src/trace/time.ts";

const d = parseDecimal;

describe("exact decimals", () => {
  test("3 × 8.64e21 = 2.592e22 and 0.1 + 0.2 = 0.3 hold exactly", () => {
    expect(compare(mul(d("3"), d("8.64e21")), d("2.592e22"))).toBe(0);
    expect(compare(sum([d("8.64e21"), d("8.64e21"), d("8.64e21")]), d("2.592e22"))).toBe(0);
    expect(compare(add(d("0.1"), d("0.2")), d("0.3"))).toBe(0);
    expect(0.1 + 0.2 === 0.3).toBe(false); // the float trap these replace
  });

  test("10^25 + 1 is greater than 10^25, though not as a double", () => {
    expect(compare(add(d("1e25"), d("1")), d("1e25"))).toBe(1);
    expect(1e25 + 1 > 1e25).toBe(false);
    expect(compare(d("1E+25"), d("10000000000000000000000000"))).toBe(0);
    expect(compare(d("1.0e25"), d("1e25"))).toBe(0);
    expect(compare(d("-0"), d("0"))).toBe(0);
  });

  test("formats round-trip as JSON numbers", () => {
    for (const t of ["0", "1", "0.3", "2.592e22", "1e27", "1234567890123456789012345678901", "-0.000125", "1e-30"]) {
      const text = formatDecimal(d(t));
      expect(compare(d(text), d(t))).toBe(0);
      expect(() => JSON.parse(text)).not.toThrow();
    }
    expect(formatDecimal(d("2.592e22"))).toBe("2.592e+22");
    expect(formatDecimal(d("100"))).toBe("100");
  });

  test("ratios are reduced and exact; the approximation rounds", () => {
    expect(formatRatio(ratio(d("2.592e22"), d("1e25")))).toBe("81/31250");
    expect(formatRatio(ratio(d("1e25"), d("1e25")))).toBe("1");
    expect(approxRatio(ratio(d("1"), d("3")))).toBe("0.333333");
    expect(approxRatio(ratio(d("2"), d("3")))).toBe("0.666667");
    expect(approxRatio(ratio(add(d("1e25"), d("1")), d("1e25")), 30)).toBe("1.0000000000000000000000001");
  });

  test("1 followed by 120,000 zeros normalises to 1e120000 (zeros counted on the text, not divided away)", () => {
    expect(parseDecimal(`1${"0".repeat(120_000)}`)).toEqual({ m: 1n, e: 120_000 });
    expect(parseDecimal(`-25${"0".repeat(120_000)}.000`)).toEqual({ m: -25n, e: 120_000 });
    expect(parseDecimal(`0.${"0".repeat(120_000)}`)).toEqual({ m: 0n, e: 0 });
    expect(normalize({ m: -(10n ** 120_000n) * 7n, e: -3 })).toEqual({ m: -7n, e: 119_997 });
  });

  test("rejects non-numbers", () => {
    expect(() => d("1e")).toThrow();
    expect(() => d("0x10")).toThrow();
    expect(() => d("NaN")).toThrow();
  });
});

describe("lexeme-preserving JSON", () => {
  test("numbers keep their text and exact value", () => {
    const doc = parseJsonExact('{"a": 1e25, "b": [0.30, 10000000000000000000000001]}', "t") as Record<string, unknown>;
    expect((doc.a as JsonNumber).text).toBe("1e25");
    const b = doc.b as JsonNumber[];
    expect(b[0]!.text).toBe("0.30");
    expect(compare(b[1]!.value, add(d("1e25"), d("1")))).toBe(0);
    expect(compare(b[1]!.value, d("1e25"))).toBe(1);
    expect(stringifyExact(doc)).toContain("10000000000000000000000001");
  });

  test("duplicate keys and bad JSON are InputErrors (exit 2)", () => {
    expect(() => parseJsonExact('{"a": 1, "a": 2}', "t")).toThrow(/duplicate key "a"/);
    expect(() => parseJsonExact('{"a": 1, "b": {"a": 2}}', "t")).not.toThrow();
    expect(() => parseJsonExact('{"a": ', "t")).toThrow(/not valid JSON/);
  });
});

describe("RFC 3339 date-times", () => {
  test("exact instants, offsets, invalid dates", () => {
    expect(compare(parseDateTime("2025-02-01T10:00:00Z")!, parseDateTime("2025-02-01T11:00:00+01:00")!)).toBe(0);
    expect(compare(parseDateTime("2025-02-01T10:00:00.0000000001Z")!, parseDateTime("2025-02-01T10:00:00Z")!)).toBe(1);
    expect(parseDateTime("2025-02-30T00:00:00Z")).toBeUndefined();
    expect(parseDateTime("2024-02-29T00:00:00Z")).toBeDefined();
    expect(parseDateTime("2025-02-01")).toBeUndefined();
    expect(parseDateTime("2025-02-01T10:00:00")).toBeUndefined();
    expect(parseDateTime("2025-02-01T24:00:00Z")).toBeUndefined();
  });
});
