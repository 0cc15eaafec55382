// needs: witness docker
import { beforeAll, describe, expect } from "bun:test";
import { createHash, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, ROOT, runCli } from "../helpers/cli.ts";
import { dockerPresent, testWith, witnessBin } from "../helpers/deps.ts";

const HAVE = Boolean(witnessBin()) && (Boolean(process.env.DOCKER_HOST) || dockerPresent());
const FAST = join(ROOT, "fixtures/configs/witness-fast.toml");
const tmp = (p: string): string => mkdtempSync(join(tmpdir(), `sekft-vs-${p}-`));
type Line = { messages: { role: string; content: string }[] };
type Result = {
  type: string;
  line: number;
  ok: boolean;
  cause?: string;
  reason?: string;
  failing_command?: string;
  message?: string;
  diagnoses?: { code: string }[];
};
const records = (stdout: string): Result[] =>
  stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Result);
const withAnswer = (l: Line, answer: string): Line => ({ messages: [l.messages[0]!, l.messages[1]!, { role: "assistant", content: answer }] });

describe("verify any dataset, safely (real witness, real Docker)", () => {
  let good: Line;
  let own = "";
  let ownFile = "";
  let ownPub = "";

  beforeAll(async () => {
    if (!HAVE) return;
    own = tmp("own");
    // One plain attest example (the cases below edit its text), wherever the split put it.
    const config = join(own, "attest.toml");
    const off = ["troubleshoot", "inspect", "policy", "pipeline"].map((f) => `[witness.families.${f}]\nweight = 0\n`).join("\n");
    writeFileSync(config, `${readFileSync(FAST, "utf8")}\n${off}`);
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    writeFileSync(join(own, "sign.pem"), privateKey.export({ type: "pkcs8", format: "pem" }));
    ownPub = join(own, "sign.pub.pem");
    writeFileSync(ownPub, publicKey.export({ type: "spki", format: "pem" }));
    const r = await runCli(["gen", "--config", config, "--count", "1", "--workers", "1", "--out", join(own, "out"), "--sign-key", join(own, "sign.pem")], {
      env: cleanEnv(),
    });
    expect(r.code, r.stderr).toBe(0);
    ownFile = ["train.jsonl", "valid.jsonl"].map((f) => join(own, "out", "witness", f)).find((f) => existsSync(f) && readFileSync(f, "utf8").trim() !== "")!;
    good = JSON.parse(readFileSync(ownFile, "utf8").split("\n")[0]!) as Line;
  }, 300_000);

  testWith(
    HAVE,
    "a foreign dataset in ```bash and ```console blocks: per line the failing command, witness's message and the cause",
    async () => {
      const a = good.messages[2]!.content.replaceAll("```sh\n", "```bash\n");
      const hex = "ab".repeat(32);
      const cases: [string | undefined, string, RegExp | undefined][] = [
        [undefined, a, undefined],
        [undefined, a.replace(/```bash\n(witness verify [^\n]*)\n```/, "```console\n$ $1\nVerification succeeded\n```"), undefined],
        ["literal-keyid", a.replace(/(\w+)_keyid=\$\(openssl dgst[^\n]*/, `$1_keyid=${hex}`), /^witness /],
        ["expired-policy", a.replaceAll("2099-12-31T23:59:59Z", "2021-01-01T00:00:00Z"), /^witness policy check policy\.json/],
        [
          "missing-file",
          `${a.replace("cat > policy.json <<EOF", "cat > /dev/null <<EOF")}\n\n\`\`\`json\n{"expires": "2099-12-31T23:59:59Z"}\n\`\`\`\n`,
          /^witness policy check policy\.json/,
        ],
        [
          "unknown-flag",
          a.replace("witness sign -k keys/policy.key", "witness sign --signer-file-key-passphrase secret -k keys/policy.key"),
          /--signer-file-key-passphrase/,
        ],
        // The most common foreign shape: the final witness verify continued over several lines.
        [
          undefined,
          a.replace(/```bash\n(witness verify [^\n]*)\n```/, (_m, line: string) => `\`\`\`bash\n${line.replaceAll(" -", " \\\n  -")}\n\`\`\``),
          undefined,
        ],
      ];
      expect(cases.at(-1)![1]).toContain(" \\\n  -");
      const dir = tmp("foreign");
      const file = join(dir, "foreign.jsonl");
      writeFileSync(file, cases.map(([, ans]) => `${JSON.stringify(withAnswer(good, ans))}\n`).join(""));
      const r = await runCli(["verify", file, "--workers", "2", "--json"], { env: cleanEnv() });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain("each in a sandbox container");
      const results = records(r.stdout);
      const summary = results.find((x) => x.type === "summary") as unknown as { passed: number; failed: number; causes: Record<string, { count: number }> };
      expect(summary.passed).toBe(3);
      expect(summary.failed).toBe(4);
      cases.forEach(([cause, , failing], i) => {
        const res = results.find((x) => x.type === "result" && x.line === i + 1)!;
        expect(res.ok, `line ${i + 1}: ${res.reason} ${res.message}`).toBe(cause === undefined);
        if (!cause) return;
        expect(res.cause, `line ${i + 1}`).toBe(cause);
        expect(res.failing_command, `line ${i + 1}`).toMatch(failing!);
        expect(res.message, `line ${i + 1}`).toBeTruthy();
        expect(summary.causes[cause]!.count).toBe(1);
      });
      expect(results.find((x) => x.line === 5)!.diagnoses![0]).toMatchObject({ code: "missing-file" });
      expect(JSON.stringify(results.find((x) => x.line === 5))).toContain("only as a ```json block");
      // The human summary groups by cause with a count and an example line.
      expect(r.stderr).toMatch(/failures by cause:\n(\s+[\w-]+\s+1\s+e\.g\. line \d+: .+\n?){4}/);
      expect(r.stderr).toMatch(/foreign\.jsonl:3: .*\n\s+failed at: /);
    },
    600_000,
  );

  for (const mode of ["default", "--host", "--sandbox"] as const) {
    testWith(
      HAVE,
      `a hostile dataset reaches nothing on the host (${mode})`,
      async () => {
        const dir = tmp("hostile");
        const home = join(dir, "home");
        mkdirSync(join(home, ".ssh"), { recursive: true });
        writeFileSync(join(home, ".ssh", "id_test"), "SSH-KEY-MATERIAL-7f3a\n");
        const marker = join(dir, "daemon-was-here");
        let connections = 0;
        const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: () => void (connections += 1), data: () => undefined } });
        const tail = "\nwitness verify -p policy.signed.json -k policy.pub -a att.json -f artifact\n";
        const scripts = [
          `tr '\\0' ' ' < /proc/$PPID/environ >&2; tr '\\0' ' ' < /proc/1/environ >&2; false`,
          `echo pwned > "$HOME/pwned"; echo pwned > ~/pwned2; echo pwned > "${home}/pwned3"; false`,
          `setsid sh -c 'sleep 10; echo late > "${marker}"' > /dev/null 2>&1 < /dev/null &\nsleep 1; false`,
          "kill -9 $PPID; sleep 1; false",
          `cat ~/.ssh/id_test >&2 || true; cat "${home}/.ssh/id_test" >&2; false`,
          `exec 3<>/dev/tcp/127.0.0.1/${server.port} && echo hello >&3; false`,
        ];
        const file = join(dir, "hostile.jsonl");
        writeFileSync(file, scripts.map((s) => `${JSON.stringify(withAnswer(good, `Run this:\n\n\`\`\`bash\n${s}${tail}\`\`\`\n`))}\n`).join(""));
        const secret = "sk-test-0c9d8e7f6a5b4c3d2e1f";
        const env = cleanEnv({ HOME: home, SEKFT_TEST_SECRET: secret, OPENAI_API_KEY: secret });
        const args = ["verify", file, "--workers", "2", "--json", ...(mode === "default" ? [] : [mode])];
        const r = await runCli(args, { env });
        server.stop(true);
        // sekft survived every line (kill -9 $PPID included) and reported each as a failure.
        expect(r.code, r.stderr).toBe(1);
        const results = records(r.stdout).filter((x) => x.type === "result");
        expect(results.map((x) => x.line).sort()).toEqual([1, 2, 3, 4, 5, 6]);
        expect(results.every((x) => !x.ok)).toBe(true);
        expect(r.stderr).toMatch(/^0 passed, 6 failed$/m);
        expect(r.stdout + r.stderr).not.toContain(secret);
        expect(r.stdout + r.stderr).not.toContain("SSH-KEY-MATERIAL");
        expect(readdirSync(home).filter((f) => f.startsWith("pwned"))).toEqual([]);
        expect(connections).toBe(0);
        await Bun.sleep(11_000);
        expect(existsSync(marker)).toBe(false);
      },
      600_000,
    );
  }

  testWith(
    HAVE,
    "a dataset whose signature verifies against --trust runs on the host by default, in the sandbox with --sandbox or without --trust; --fail-fast and --sample",
    async () => {
      const train = ownFile;
      const host = await runCli(["verify", train, "--trust", ownPub], { env: cleanEnv() });
      expect(host.code, host.stderr).toBe(0);
      expect(host.stderr).toContain("on the host, isolated");
      const untrusted = await runCli(["verify", train], { env: cleanEnv() });
      expect(untrusted.code, untrusted.stderr).toBe(0);
      expect(untrusted.stderr).toContain("each in a sandbox container");
      const boxed = await runCli(["verify", train, "--sandbox"], { env: cleanEnv() });
      expect(boxed.code, boxed.stderr).toBe(0);
      expect(boxed.stderr).toContain("each in a sandbox container");
      const dir = tmp("ff");
      const bad = withAnswer(good, "```sh\nfalse\nwitness verify\n```\n");
      writeFileSync(join(dir, "mixed.jsonl"), `${[bad, bad, bad, good, good].map((l) => JSON.stringify(l)).join("\n")}\n`);
      const ff = await runCli(["verify", join(dir, "mixed.jsonl"), "--workers", "1", "--fail-fast", "--json", "--host"], { env: cleanEnv() });
      expect(ff.code).toBe(1);
      expect(records(ff.stdout).filter((x) => x.type === "result")).toHaveLength(1);
      const pick = async (seed: string): Promise<number[]> =>
        records((await runCli(["verify", join(dir, "mixed.jsonl"), "--sample", "2", "--seed", seed, "--json", "--host"], { env: cleanEnv() })).stdout)
          .filter((x) => x.type === "result")
          .map((x) => x.line)
          .sort();
      const first = await pick("5");
      expect(first).toHaveLength(2);
      expect(await pick("5")).toEqual(first);
    },
    600_000,
  );

  testWith(
    HAVE,
    "a forged manifest beside a foreign dataset (unsigned, listing its hash) does not move it onto the host (issue 19)",
    async () => {
      const dir = tmp("forged");
      const outside = tmp("outside");
      const script = `echo pwned > "${outside}/pwned" || true\nwitness verify -p policy.signed.json -k policy.pub -a att.json -f artifact`;
      const file = join(dir, "train.jsonl");
      writeFileSync(file, `${JSON.stringify(withAnswer(good, `\`\`\`sh\n${script}\n\`\`\`\n`))}\n`);
      const sha = createHash("sha256").update(readFileSync(file)).digest("hex");
      const manifest = JSON.parse(readFileSync(join(own, "out", "witness", "manifest.json"), "utf8"));
      writeFileSync(join(dir, "manifest.json"), JSON.stringify({ ...manifest, files: { "train.jsonl": sha } }));
      const r = await runCli(["verify", file, "--json"], { env: cleanEnv() });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain("each in a sandbox container");
      expect(existsSync(join(outside, "pwned"))).toBe(false);
    },
    300_000,
  );

  testWith(
    HAVE,
    "verify --host: the tmpfs hiding HOME cannot be unmounted from inside, so the real home stays unreachable (issue 19)",
    async () => {
      const dir = tmp("unmount");
      const home = join(dir, "home");
      mkdirSync(home);
      writeFileSync(join(home, "secret"), "HOME-SECRET-51c2\n");
      // Find the mount that hides the home, take it away (lazily too), then read and write beneath it.
      const attack = [
        `h=$(awk '$0 ~ /sekft-home/ { print $5 }' /proc/self/mountinfo | head -n 1)`,
        `echo "hidden at: $h" >&2`,
        `umount "$h" 2>/dev/null || umount -l "$h" 2>/dev/null || true`,
        `cat "$h/secret" >&2 || true`,
        `echo pwned > "$h/pwned" || true`,
        "witness verify -p policy.signed.json -k policy.pub -a att.json -f artifact",
      ].join("\n");
      const file = join(dir, "attack.jsonl");
      writeFileSync(file, `${JSON.stringify(withAnswer(good, `\`\`\`sh\n${attack}\n\`\`\`\n`))}\n`);
      const r = await runCli(["verify", file, "--host", "--json"], { env: cleanEnv({ HOME: home }) });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout + r.stderr).not.toContain("HOME-SECRET-51c2");
      expect(existsSync(join(home, "pwned"))).toBe(false);
    },
    300_000,
  );

  testWith(
    HAVE,
    "a script cannot stand in for the verdict: a witness function, PATH, an alias, `|| true` or a printed success line all fail (issue 19)",
    async () => {
      const answer = good.messages[2]!.content;
      const verifyLine = /\n(witness verify [^\n]*)\n```/.exec(answer)![1]!;
      const broken = answer.replace(verifyLine, `rm -f policy.signed.json\n${verifyLine}`);
      const cases: [string, string][] = [
        ["function", broken.replace("```sh\n", "```sh\nwitness() { echo 'Verification succeeded' >&2; }\n")],
        [
          "path",
          broken.replace(
            "```sh\n",
            "```sh\nmkdir -p fake && printf '#!/bin/sh\\necho Verification succeeded >&2\\n' > fake/witness && chmod +x fake/witness && PATH=$PWD/fake:$PATH\n",
          ),
        ],
        ["alias", broken.replace("```sh\n", "```sh\nalias witness='echo Verification succeeded >&2; true'\n")],
        ["or-true", broken.replace(verifyLine, `${verifyLine} || echo 'Verification succeeded' >&2`)],
        ["trap", broken.replace(verifyLine, `trap 'echo Verification succeeded >&2; exit 0' EXIT\n${verifyLine}`)],
        ["continued", broken.replace(verifyLine, `echo Verification succeeded >&2; : \\\n${verifyLine}`)],
      ];
      const dir = tmp("forge");
      const file = join(dir, "forge.jsonl");
      writeFileSync(file, cases.map(([, a]) => `${JSON.stringify(withAnswer(good, a))}\n`).join(""));
      const r = await runCli(["verify", file, "--host", "--json", "--workers", "2"], { env: cleanEnv() });
      const results = records(r.stdout).filter((x) => x.type === "result");
      expect(results).toHaveLength(cases.length);
      for (const res of results) expect(res.ok, `${cases[res.line - 1]![0]}: ${res.reason}`).toBe(false);
      expect(results[0]!.cause).toBe("shadows-tool");
      expect(results[1]!.cause).toBe("shadows-tool");
      expect(results[2]!.cause).toBe("shadows-tool");
      expect(results[3]!.cause).toBe("verify-not-simple");
    },
    300_000,
  );
});
