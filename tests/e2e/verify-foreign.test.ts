// needs: witness docker
import { describe, expect } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, runCli } from "../helpers/cli.ts";
import { testWith, witnessBin } from "../helpers/deps.ts";

const HAVE = Boolean(witnessBin()) && (Boolean(process.env.DOCKER_HOST) || existsSync("/var/run/docker.sock"));
type Result = { type: string; line: number; ok: boolean; cause?: string; reason?: string; diagnoses?: { code: string; message: string }[] };
const records = (stdout: string): Result[] =>
  stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Result)
    .filter((r) => r.type === "result")
    .sort((a, b) => a.line - b.line);
const line = (answer: string): string =>
  `${JSON.stringify({
    messages: [
      { role: "user", content: "How do I attest a build and verify it?" },
      { role: "assistant", content: answer },
    ],
  })}\n`;
const bash = (body: string): string => `\`\`\`bash\n${body}\n\`\`\`\n`;

// The shape of a public foreign dataset: ```bash blocks, flags on continuation lines, the policy shown as a JSON
// block that no command writes, then signed and verified.
const FOREIGN = [
  "Generate keys:",
  bash("openssl genpkey -algorithm ed25519 -out key.pem\nopenssl pkey -in key.pem -pubout -out pub.pem"),
  "Attest the build:",
  bash(
    'witness run --step build \\\n  --signer-file-key-path key.pem \\\n  --outfile build.att \\\n  --attestations material,product \\\n  -- sh -c "echo built > output.txt"',
  ),
  "Policy:",
  '```json\n{\n  "expires": "2035-12-31T23:59:59Z",\n  "steps": {}\n}\n```\n',
  "Sign and verify:",
  bash("witness sign --signer-file-key-path key.pem \\\n  --infile policy.json \\\n  --outfile policy-signed.json"),
  bash("witness verify \\\n  --policy policy-signed.json \\\n  --publickey pub.pem \\\n  --attestations build.att \\\n  -f output.txt"),
].join("\n");

describe("verify reads foreign scripts as a shell does (real witness, real Docker)", () => {
  testWith(
    HAVE,
    "a final witness verify over continuation lines runs; the policy shown but never written is the named cause; a syntax error is one",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "sekft-vf-"));
      const file = join(dir, "foreign.jsonl");
      writeFileSync(file, line(FOREIGN) + line(bash("echo start\nif true; then\n  echo 'no fi'\nwitness verify -p p")));
      const r = await runCli(["verify", file, "--json", "--workers", "2"], { env: cleanEnv() });
      expect(r.code, r.stderr).toBe(1);
      const [foreign, syntax] = records(r.stdout);
      expect(foreign!.ok).toBe(false);
      expect(foreign!.reason).not.toContain("not witness verify");
      expect(foreign!.cause).toBe("missing-file");
      expect(foreign!.diagnoses![0]!.message).toStartWith(
        "policy.json is used (script line 8: `witness sign --signer-file-key-path key.pem --infile policy.json",
      );
      expect(foreign!.diagnoses![0]!.message).toContain("the text shows it only as a ```json block, never written by the script");
      expect(syntax!.cause).toBe("syntax-error");
      expect(syntax!.reason).toMatch(/does not parse as bash reads it: line 2, column 1: .*fi/);
      // The human report keeps the backticks that quote the command and the fence.
      expect(r.stderr).toContain("(script line 8: `witness sign");
      expect(r.stderr).toContain("only as a ```json block");
      expect(r.stderr).not.toContain("witness said: line 2");
    },
    300_000,
  );

  testWith(
    HAVE && Bun.which("javac") !== null,
    "javac compiles in the sandbox: the JDK's configuration under /etc/java-* is mounted with the toolchain",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "sekft-vf-java-"));
      const file = join(dir, "java.jsonl");
      const src = "public class A { public static void main(String[] a) { System.out.println(1); } }";
      writeFileSync(file, line(bash(`mkdir -p src\ncat > src/A.java <<'EOF'\n${src}\nEOF\njavac -d out src/A.java\ntest -s out/A.class`)));
      const r = await runCli(["verify", file, "--json", "--expect", "any"], { env: cleanEnv() });
      expect(r.code, r.stderr).toBe(0);
      expect(records(r.stdout)[0]!.ok).toBe(true);
    },
    300_000,
  );

  testWith(
    HAVE,
    "--expect any: exit 0 passes a script that need not end in witness verify, still in the sandbox",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "sekft-vf-any-"));
      const file = join(dir, "any.jsonl");
      const home = process.env.HOME ?? "/root";
      writeFileSync(
        file,
        line(bash("printf 'hello\\n' > out.txt &&\n  grep -q hello out.txt\ncat <<'EOF' > note.txt\na \\ b\nEOF\ntest -s note.txt")) +
          line(bash("echo trying\nexit 3")) +
          line(bash(`test ! -e ${JSON.stringify(home)}/.bashrc || ls ${JSON.stringify(home)} > seen.txt\ntouch /pwned`)),
      );
      const r = await runCli(["verify", file, "--json", "--expect", "any"], { env: cleanEnv() });
      const [ok, exit3, breakout] = records(r.stdout);
      expect(ok!.ok, ok!.reason).toBe(true);
      expect(exit3!.ok).toBe(false);
      expect(exit3!.reason).toContain("exited 3");
      // The sandbox's read-only root still holds.
      expect(breakout!.ok).toBe(false);
      expect(existsSync("/pwned")).toBe(false);
      expect(r.code).toBe(1);
      const bad = await runCli(["verify", file, "--expect", "exit-zero"], { env: cleanEnv() });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("--expect must be witness-verify or any");
    },
    300_000,
  );

  testWith(
    HAVE && Bun.which("gzip") !== null,
    "--stated-path: PATH holds only what the answer's first sentence names (plus POSIX utilities); sandbox only",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "sekft-vf-stated-"));
      const file = join(dir, "stated.jsonl");
      const gz = bash("printf 'b\\na\\n' | sort > list.txt\ngzip -k list.txt\ntest -s list.txt.gz");
      const needs = (programs: string): string => `You need ${programs} (plus POSIX utilities); run it in an empty directory.\n\n${gz}`;
      writeFileSync(file, line(needs("`gzip`")) + line(needs("`jq`")) + line(gz) + line(needs("`/usr/bin/gzip` and `../../bin/gzip`")));
      const r = await runCli(["verify", file, "--json", "--expect", "any", "--stated-path"], { env: cleanEnv() });
      const [stated, unstated, silent, paths] = records(r.stdout) as (Result & { message?: string })[];
      expect(stated!.ok, `${stated!.reason} ${stated!.message}`).toBe(true);
      // Without --stated-path the same unstated script passes: the flag is what catches it.
      expect(unstated!.ok).toBe(false);
      expect(unstated!.message).toMatch(/gzip: (command )?not found/);
      expect(silent!.cause).toBe("no-prerequisites");
      // A name is a program name: paths are never linked, so nothing outside the stated set is reachable.
      expect(paths!.ok).toBe(false);
      expect(r.code).toBe(1);
      const plain = await runCli(["verify", file, "--json", "--expect", "any"], { env: cleanEnv() });
      expect(records(plain.stdout).map((x) => x.ok)).toEqual([true, true, true, true]);
      const host = await runCli(["verify", file, "--expect", "any", "--stated-path", "--host"], { env: cleanEnv() });
      expect(host.code).toBe(2);
      expect(host.stderr).toContain("--stated-path runs in the sandbox only");
    },
    300_000,
  );

  testWith(
    HAVE && Bun.which("go") !== null,
    "a Go build that misses the read-only build cache runs again with a cold, writable one, and passes",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "sekft-vf-miss-"));
      // An empty cache: every action misses it, and go fails writing the read-only mount.
      const cache = join(dir, "go-build");
      mkdirSync(cache);
      const file = join(dir, "miss.jsonl");
      const build = [
        "mkdir -p m && cd m",
        "printf 'module example.com/m\\n\\ngo 1.21\\n' > go.mod",
        "printf 'package main\\n\\nfunc main() {}\\n' > main.go",
        "go build -o hello .",
        "test -x hello",
      ].join("\n");
      writeFileSync(file, line(bash(build)));
      const r = await runCli(["verify", file, "--json", "--expect", "any", "--sandbox"], { env: cleanEnv({ GOCACHE: cache }) });
      const [res] = records(r.stdout) as (Result & { message?: string })[];
      expect(res!.ok, `${res!.reason} ${res!.message} ${r.stderr}`).toBe(true);
      // Nothing was written to the user's cache.
      expect(readdirSync(cache)).toEqual([]);
    },
    600_000,
  );

  testWith(
    HAVE,
    "build caches: scripts read the user's GOCACHE read-only, in the sandbox and with --host; off by config",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "sekft-vf-cache-"));
      const cache = join(dir, "go-build");
      mkdirSync(cache);
      writeFileSync(join(cache, "marker"), "warm\n");
      const file = join(dir, "cache.jsonl");
      const probe = [
        'grep -q warm "$GOCACHE/marker"',
        'if touch "$GOCACHE/new" 2>/dev/null; then exit 9; fi',
        'rm -f "$GOCACHE/marker" 2>/dev/null || true',
        'test -e "$GOCACHE/marker"',
      ].join("\n");
      writeFileSync(file, line(bash(probe)));
      const env = cleanEnv({ GOCACHE: cache });
      for (const where of ["--sandbox", "--host"]) {
        const r = await runCli(["verify", file, "--json", "--expect", "any", where], { env });
        const [res] = records(r.stdout);
        expect(res!.ok, `${where}: ${res!.reason} ${r.stderr}`).toBe(true);
      }
      expect(readdirSync(cache)).toEqual(["marker"]);
      expect(readFileSync(join(cache, "marker"), "utf8")).toBe("warm\n");
      const off = join(dir, "off.toml");
      writeFileSync(off, "[witness.sandbox]\nbuild_caches = false\n");
      const r = await runCli(["verify", file, "--json", "--expect", "any", "--config", off], { env });
      const [offRes] = records(r.stdout) as (Result & { message?: string })[];
      expect(offRes!.ok).toBe(false);
      expect(offRes!.message, r.stderr).toContain("GOCACHE: unbound variable");
    },
    300_000,
  );
});
