import { describe, expect, test } from "bun:test";
import { endpointName } from "../../src/llm/chat.ts";
import { printable } from "../../src/ui/format.ts";

describe("printable: untrusted text for a terminal", () => {
  test("ESC, BEL, CR, TAB, DEL and C1 controls are written out; plain text is unchanged", () => {
    expect(printable("false \x1b]0;t\x07\x1b[2J\r\t\x7f\x9b1m ok")).toBe("false \\x1b]0;t\\x07\\x1b[2J\\r\\t\\x7f\\u009b1m ok");
    expect(printable("witness verify -p p.json — ünïcode")).toBe("witness verify -p p.json — ünïcode");
  });

  test("a newline is escaped in a one-line field and kept in a block", () => {
    expect(printable("x\n0 passed, 0 failed")).toBe("x\\n0 passed, 0 failed");
    expect(printable("a\n\x1b[2Jb", { multiline: true })).toBe("a\n\\x1b[2Jb");
  });
});

describe("endpointName: a base_url fit to print or record", () => {
  test("a user name, password, query or fragment is dropped; a plain URL is unchanged", () => {
    expect(endpointName("http://127.0.0.1:9/v1")).toBe("http://127.0.0.1:9/v1");
    expect(endpointName("https://user:sk-secret@api.example/v1?key=sk-q#f")).toBe("https://api.example/v1");
    expect(endpointName("not a url //sk-x@host")).toBe("(an invalid base_url)");
  });
});
