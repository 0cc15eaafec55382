import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { streamJsonl } from "../../src/dataset/jsonl.ts";
import { diagnose } from "../../src/witness/diagnose.ts";
import { consoleCommands, extractAnyScript, extractScript, lastError, splitTrace } from "../../src/witness/script.ts";

test("for sh-only answers the verify extraction equals the generator's, byte for byte", () => {
  const md = "Intro\n\n```sh\necho a\n```\n\ntext\n\n```sh\necho b\nwitness verify -p p\n```\n";
  expect(extractAnyScript(md)).toEqual({ script: extractScript(md), shell: "sh" });
});

test("bash, shell and console fences run; console keeps only $ lines and their continuations; bash wins", () => {
  expect(consoleCommands("$ echo a \\\n  b\noutput\n$ ls\n# not a prompt")).toBe("echo a \\\n  b\nls");
  const md = "```shell\nx=1\n```\n```console\n$ echo hi\nhi\n```\n```bash\nwitness verify\n```\n```json\n{}\n```\n";
  expect(extractAnyScript(md)).toEqual({ script: "x=1\necho hi\nwitness verify\n", shell: "bash" });
  expect(extractAnyScript("```console\nno prompt here\n```\n").script).toBe("");
});

test("trace lines are split from stderr, and witness's last error is unescaped", () => {
  const err = '+[sekft] openssl genpkey\n++[sekft] witness sign -f policy.json\nlevel=error msg="open policy.json: no such file or directory"\n';
  const { commands, rest } = splitTrace(err);
  expect(commands).toEqual(["openssl genpkey", "witness sign -f policy.json"]);
  expect(lastError(rest)).toBe("open policy.json: no such file or directory");
});

test("diagnoses: a file shown only as a json block, literal key IDs, lapsing policies, unknown flags", () => {
  const script = "witness sign --signer-file-key-passphrase x -k k.pem -f policy.json -o p.signed.json\nwitness verify -p p.signed.json\n";
  const answer = `\`\`\`json\n{"expires": "2021-01-01T00:00:00Z", "publickeyid": "${"ab".repeat(32)}"}\n\`\`\`\n\`\`\`sh\n${script}\`\`\`\n`;
  const flags = { sign: new Set(["-k", "-f", "-o", "--signer-file-key-path"]) };
  const d = diagnose(answer, script, "open policy.json: no such file or directory", { now: new Date("2030-01-01"), horizonDays: 365, flags });
  expect([...new Set(d.map((x) => x.code))].sort()).toEqual(["expired-policy", "literal-keyid", "missing-file", "unknown-flag"]);
  expect(d.find((x) => x.code === "missing-file" && x.message.startsWith("policy.json"))!.message).toContain("only as a ```json block");
  expect(d.some((x) => x.code === "literal-keyid")).toBe(true);
  expect(d.some((x) => x.code === "expired-policy")).toBe(true);
  expect(d.find((x) => x.code === "unknown-flag")!.message).toContain("--signer-file-key-passphrase");
  const soon = diagnose('"expires": "2030-02-01T00:00:00Z"', "", "", { now: new Date("2030-01-01"), horizonDays: 365, flags: {} });
  expect(soon.map((x) => x.code)).toEqual(["expiring-policy"]);
});

test("streamJsonl yields numbered lines across chunk boundaries and names a bad line", async () => {
  const dir = mkdtempSync(join(tmpdir(), "sekft-stream-"));
  const good = join(dir, "good.jsonl");
  writeFileSync(good, `{"a":"${"x".repeat(100)}"}\n\n{"b":2}\n{"c":3}`);
  const rows: number[] = [];
  for await (const r of streamJsonl(good, 16)) rows.push(r.line);
  expect(rows).toEqual([1, 3, 4]);
  const bad = join(dir, "bad.jsonl");
  writeFileSync(bad, '{"a":1}\n{"b":\n');
  await expect(async () => {
    for await (const _ of streamJsonl(bad, 4));
  }).toThrow(/bad\.jsonl:2: not valid JSON/);
  const cut = join(dir, "cut.jsonl");
  writeFileSync(cut, '{"a":1}\n{"b":');
  await expect(async () => {
    for await (const _ of streamJsonl(cut));
  }).toThrow(/cut\.jsonl:2: truncated last line/);
});
