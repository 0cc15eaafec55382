import { expect, test } from "bun:test";
import { extractJsonObject } from "../../src/llm/extract-json.ts";

test("whole text, fenced, and embedded objects are found; the first complete one wins", () => {
  expect(extractJsonObject(' {"a":1} ')).toEqual({ ok: true, value: { a: 1 } });
  expect(extractJsonObject('```json\n{"a":2}\n```')).toEqual({ ok: true, value: { a: 2 } });
  expect(extractJsonObject('```\n{"a":3}\n```')).toEqual({ ok: true, value: { a: 3 } });
  expect(extractJsonObject('Sure! {"a":{"b":"}{"}} and then {"c":1}')).toEqual({ ok: true, value: { a: { b: "}{" } } });
  expect(extractJsonObject('use {braces} like {"a":"\\"}"}')).toEqual({ ok: true, value: { a: '"}' } });
});

test("non-objects and garbage are rejected with a reason", () => {
  expect(extractJsonObject("")).toEqual({ ok: false, reason: "reply is empty" });
  const arr = extractJsonObject("[1]");
  expect(arr.ok).toBe(false);
  if (!arr.ok) expect(arr.reason).toContain("an array");
  expect(extractJsonObject('{"a":').ok).toBe(false);
  expect(extractJsonObject("x".repeat(2_000_001)).ok).toBe(false);
});
