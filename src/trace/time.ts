import { add, fromBigInt, parseDecimal, type Decimal } from "../decimal.ts";

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * An RFC 3339 date-time (the JSON Schema `date-time` format) as exact seconds since the epoch, or undefined
 * when it is not one. Fractions of any length stay exact, so ordering never rounds two instants together.
 */
export function parseDateTime(text: string): Decimal | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  let offset = 0;
  if (m[9]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offset = (m[9] === "-" ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  const whole = BigInt(date.getTime() / 1000) + BigInt(hour * 3600 + minute * 60 + second - offset);
  return m[7] ? add(fromBigInt(whole), parseDecimal(`0${m[7]}`)) : fromBigInt(whole);
}

/** Formats epoch milliseconds as RFC 3339 UTC with millisecond precision. */
export function formatInstant(ms: number): string {
  return new Date(ms).toISOString();
}
