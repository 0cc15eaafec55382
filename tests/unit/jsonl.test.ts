import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Journal, readJsonl, streamJsonl, writeJsonlAtomic } from "../../src/dataset/jsonl.ts";
import { LineReader } from "../../src/dataset/stream.ts";
import { eachLine, indexLines, readLineAt } from "../../src/view/lines.ts";
import { answerOf, fencedBlocks, parseChatRecord, questionOf } from "../../src/dataset/chat.ts";
import { InputError } from "../../src/errors.ts";

const dir = (): string => mkdtempSync(join(tmpdir(), "sekft-jsonl-"));

test("a malformed line is reported with its line number", () => {
  const f = join(dir(), "bad.jsonl");
  writeFileSync(f, '{"a":1}\n\n{"a":\n');
  expect(() => readJsonl(f)).toThrow(InputError);
  expect(() => readJsonl(f)).toThrow(/bad\.jsonl:3: not valid JSON/);
});

test("a truncated last line is named as such", () => {
  const f = join(dir(), "cut.jsonl");
  writeFileSync(f, '{"a":1}\n{"a":2');
  expect(() => readJsonl(f)).toThrow(/cut\.jsonl:2: truncated last line/);
});

test("the journal cuts a torn last line and keeps the rest", () => {
  const f = join(dir(), "journal.jsonl");
  writeFileSync(f, '{"id":1}\n{"id":2}\n{"id":');
  {
    using j = new Journal<{ id: number }>(f);
    expect(j.repaired).toBe(true);
    expect(j.records.map((r) => r.id)).toEqual([1, 2]);
    j.append({ id: 3 });
  }
  expect(readFileSync(f, "utf8")).toBe('{"id":1}\n{"id":2}\n{"id":3}\n');
});

test("atomic writes leave no .partial behind", () => {
  const f = join(dir(), "out.jsonl");
  writeJsonlAtomic(f, [{ a: 1 }, { b: 2 }]);
  expect(readFileSync(f, "utf8")).toBe('{"a":1}\n{"b":2}\n');
  expect(existsSync(`${f}.partial`)).toBe(false);
});

test("a complete journal with non-ASCII text is not reported as torn", () => {
  const f = join(dir(), "journal.jsonl");
  writeFileSync(f, '{"q":"größe — ✓"}\n{"q":"日本語"}\n');
  using j = new Journal<{ q: string }>(f);
  expect(j.repaired).toBe(false);
  expect(j.records.map((r) => r.q)).toEqual(["größe — ✓", "日本語"]);
});

test("a torn non-ASCII last line is cut at the right byte", () => {
  const f = join(dir(), "journal.jsonl");
  writeFileSync(f, '{"q":"größe"}\n{"q":"日本');
  {
    using j = new Journal<{ q: string }>(f);
    expect(j.repaired).toBe(true);
    j.append({ q: "ok" });
  }
  expect(readFileSync(f, "utf8")).toBe('{"q":"größe"}\n{"q":"ok"}\n');
});

test("chat records: content-part arrays are read; null messages and missing arrays are InputErrors naming the line", () => {
  const parts = {
    messages: [
      { role: "user", content: [{ type: "text", text: "q?" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "a" },
          { type: "text", text: "b" },
        ],
      },
    ],
  };
  expect(answerOf(parts, "f.jsonl", 3)).toBe("ab");
  expect(questionOf(parseChatRecord(parts, "f.jsonl", 3))).toBe("q?");
  expect(() => parseChatRecord({ messages: [null] }, "f.jsonl", 4)).toThrow(/f\.jsonl:4: not a chat record: messages\[0\]/);
  expect(() => parseChatRecord({ prompt: "x" }, "f.jsonl", 5)).toThrow(/f\.jsonl:5: no "messages" array/);
});

test("fenced blocks: every fence with its language, ``` and ~~~, in order", () => {
  const md = "a\n```sh\necho 1\n```\n~~~json\n{}\n~~~\n````bash\necho ```\n````\n";
  expect(fencedBlocks(md)).toEqual([
    { lang: "sh", body: "echo 1" },
    { lang: "json", body: "{}" },
    { lang: "bash", body: "echo ```" },
  ]);
});

test("a UTF-8 byte order mark before line 1 is dropped by every JSONL reader (and only there)", async () => {
  const f = join(dir(), "bom.jsonl");
  writeFileSync(f, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}\n{"a":"\u00e9"}\n')]));
  expect(readJsonl(f).map((r) => r.value)).toEqual([{ a: 1 }, { a: "é" }]);
  const streamed: unknown[] = [];
  for await (const r of streamJsonl(f)) streamed.push(r.value);
  expect(streamed).toEqual([{ a: 1 }, { a: "é" }]);
  using reader = new LineReader(f);
  expect(reader.next()?.toString("utf8")).toBe('{"a":1}');
  const index = await indexLines(f);
  expect(index.starts.map((s, i) => readLineAt(f, s, index.ends[i]!))).toEqual([{ a: 1 }, { a: "é" }]);
  const texts: string[] = [];
  await eachLine(f, (text) => texts.push(text));
  expect(texts).toEqual(['{"a":1}', '{"a":"\u00e9"}']);
  // A mark inside the file is data, not a byte order mark: still an error there.
  writeFileSync(f, Buffer.concat([Buffer.from('{"a":1}\n'), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":2}\n')]));
  expect(() => readJsonl(f)).toThrow(/bom\.jsonl:2: not valid JSON/);
});
