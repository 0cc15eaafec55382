/**
 * Exact decimal numbers: value = mantissa × 10^exponent, with a BigInt mantissa. FLOP counts reach 10^27
 * and beyond, where doubles lose integers, so every comparison and sum in the trace code goes through here.
 */
export interface Decimal {
  readonly m: bigint;
  readonly e: number;
}

const LEXEME = /^(-)?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Parses a JSON number lexeme (or any plain decimal text such as "1e25", "0.30") exactly. */
export function parseDecimal(text: string): Decimal {
  const match = LEXEME.exec(text.trim());
  if (!match) throw new RangeError(`not a decimal number: ${JSON.stringify(text)}`);
  const [, sign, int, frac = "", exp = "0"] = match;
  const exponent = Number(exp);
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 100_000) throw new RangeError(`exponent out of range: ${text}`);
  // Trailing zeros are counted on the text, before BigInt: stripping them one division at a time is quadratic.
  const digits = int! + frac;
  const zeros = trailingZeros(digits);
  if (zeros === digits.length) return ZERO;
  const m = BigInt(digits.slice(0, digits.length - zeros)) * (sign ? -1n : 1n);
  return { m, e: exponent - frac.length + zeros };
}

/** How many "0" characters end `digits`. */
function trailingZeros(digits: string): number {
  let n = 0;
  while (n < digits.length && digits.charCodeAt(digits.length - 1 - n) === 48) n++;
  return n;
}

/** True when `text` is a decimal this module reads. */
export function isDecimalText(text: string): boolean {
  return LEXEME.test(text.trim());
}

/** Strips trailing zeros from the mantissa so equal values have one representation. */
export function normalize(d: Decimal): Decimal {
  if (d.m === 0n) return ZERO;
  if (d.m % 10n !== 0n) return d;
  // Many zeros (a product or an aligned sum of long numbers): count them in the digits, cut them once.
  const negative = d.m < 0n;
  const digits = (negative ? -d.m : d.m).toString();
  const zeros = trailingZeros(digits);
  const m = BigInt(digits.slice(0, digits.length - zeros));
  return { m: negative ? -m : m, e: d.e + zeros };
}

export const ZERO: Decimal = Object.freeze({ m: 0n, e: 0 });

export function fromBigInt(n: bigint): Decimal {
  return normalize({ m: n, e: 0 });
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const e = Math.min(a.e, b.e);
  return [a.m * 10n ** BigInt(a.e - e), b.m * 10n ** BigInt(b.e - e), e];
}

export function add(a: Decimal, b: Decimal): Decimal {
  const [x, y, e] = align(a, b);
  return normalize({ m: x + y, e });
}

export function sub(a: Decimal, b: Decimal): Decimal {
  return add(a, { m: -b.m, e: b.e });
}

export function mul(a: Decimal, b: Decimal): Decimal {
  return normalize({ m: a.m * b.m, e: a.e + b.e });
}

export function sum(values: Iterable<Decimal>): Decimal {
  let total = ZERO;
  for (const v of values) total = add(total, v);
  return total;
}

/** -1, 0 or 1, exactly. */
export function compare(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function isInteger(d: Decimal): boolean {
  return normalize(d).e >= 0;
}

export function isNegative(d: Decimal): boolean {
  return d.m < 0n;
}

/** Integer part, rounded toward zero. */
export function toBigInt(d: Decimal): bigint {
  return d.e >= 0 ? d.m * 10n ** BigInt(d.e) : d.m / 10n ** BigInt(-d.e);
}

/** Plain notation for small exponents, scientific (1.5e+25 style, as JSON allows) otherwise. */
export function formatDecimal(d: Decimal): string {
  const n = normalize(d);
  const neg = n.m < 0n;
  const digits = (neg ? -n.m : n.m).toString();
  const sign = neg ? "-" : "";
  if (n.e >= 0 && (n.e + digits.length <= 21 || n.e <= 2)) return sign + digits + "0".repeat(n.e);
  const point = digits.length + n.e;
  if (n.e < 0 && point > -7) {
    return point > 0 ? `${sign}${digits.slice(0, point)}.${digits.slice(point)}` : `${sign}0.${"0".repeat(-point)}${digits}`;
  }
  const exp = n.e + digits.length - 1;
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${mant}e${exp >= 0 ? "+" : ""}${exp}`;
}

/** An exact ratio a/b as a reduced fraction of integers. */
export interface Ratio {
  readonly num: bigint;
  readonly den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b) [a, b] = [b, a % b];
  return a;
}

export function ratio(a: Decimal, b: Decimal): Ratio {
  if (b.m === 0n) throw new RangeError("division by zero");
  const [x, y] = align(a, b);
  const sign = y < 0n ? -1n : 1n;
  const g = gcd(x, y) || 1n;
  return { num: (sign * x) / g, den: (sign * y) / g };
}

/** The ratio as "n/d" (or "n" when whole). */
export function formatRatio(r: Ratio): string {
  return r.den === 1n ? r.num.toString() : `${r.num}/${r.den}`;
}

/** The ratio rounded half-up to `digits` significant digits, for people; the exact form is formatRatio. */
export function approxRatio(r: Ratio, digits = 6): string {
  if (r.num === 0n) return "0";
  const neg = r.num < 0n;
  const num = neg ? -r.num : r.num;
  let e = num.toString().length - r.den.toString().length;
  if (num * 10n ** BigInt(Math.max(0, -e)) < r.den * 10n ** BigInt(Math.max(0, e))) e -= 1;
  const shift = digits - 1 - e;
  const scaled =
    shift >= 0 ? (num * 10n ** BigInt(shift) * 2n + r.den) / (2n * r.den) : (num * 2n + r.den * 10n ** BigInt(-shift)) / (2n * r.den * 10n ** BigInt(-shift));
  const text = formatDecimal(normalize({ m: scaled, e: -shift }));
  return neg ? `-${text}` : text;
}

/** Largest multiple of 10^0 not above a/b, for splitting a total into integer parts. */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}
