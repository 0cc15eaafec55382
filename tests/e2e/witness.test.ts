// needs: witness
import { beforeAll, describe, expect } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binCommand, cleanEnv, IN_CI, ROOT, runCli } from "../helpers/cli.ts";
import { testWith, witnessBin } from "../helpers/deps.ts";

const HAVE = Boolean(witnessBin());
const FAST = join(ROOT, "fixtures/configs/witness-fast.toml");
// Real HOME: build tools keep their caches there, as they would for a user.
const env = (): Record<string, string> => cleanEnv({ HOME: process.env.HOME ?? "/root" });
const tmp = (p: string): string => mkdtempSync(join(tmpdir(), `sekft-${p}-`));
type Line = { messages: { role: string; content: string }[] };
// A split with no line has no file: it reads as no lines.
const lines = (f: string): Line[] =>
  (existsSync(f) ? readFileSync(f, "utf8") : "")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);

describe("witness track (real witness)", () => {
  // One real gen run of the fast config, shared: each test below checks one promise it makes.
  let out = "";
  let dir = "";
  let gen = { code: -1, stdout: "", stderr: "gen did not run" };
  beforeAll(async () => {
    if (!HAVE && !IN_CI) return;
    out = tmp("gen");
    dir = join(out, "witness");
    gen = await runCli(["gen", "--config", FAST, "--count", "10", "--workers", "2", "--seed", "3", "--out", out], { env: env() });
  }, 600_000);
  type Meta = { mutations: unknown[]; split: string; family: string; checks?: unknown; broken?: unknown };
  const meta = (): Meta[] => lines(join(dir, "meta.jsonl")) as unknown as Meta[];

  testWith(HAVE, "gen --count 10 exits 0 and reports kept 10 with its rate", () => {
    expect(gen.code, gen.stderr).toBe(0);
    expect(gen.stderr).toMatch(/witness: kept 10 .* examples\/s/);
  });

  testWith(HAVE, "gen writes the documented layout: train, valid, meta, rejects and manifest", () => {
    for (const f of ["train.jsonl", "valid.jsonl", "meta.jsonl", "rejects.jsonl", "manifest.json"]) expect(existsSync(join(dir, f)), f).toBe(true);
  });

  testWith(HAVE, "train and valid hold 10 chat lines of exactly system, user, assistant", () => {
    const all = [...lines(join(dir, "train.jsonl")), ...lines(join(dir, "valid.jsonl"))];
    expect(all).toHaveLength(10);
    for (const l of all) {
      expect(Object.keys(l)).toEqual(["messages"]);
      expect(l.messages.map((m) => m.role)).toEqual(["system", "user", "assistant"]);
    }
  });

  testWith(HAVE, "the manifest counts 10 kept, lists its files and names the track", () => {
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { counts: { kept: number }; files: Record<string, string>; track: string };
    expect(manifest.counts.kept).toBe(10);
    expect(Object.keys(manifest.files)).toContain("train.jsonl");
    expect(manifest.track).toBe("witness");
  });

  testWith(HAVE, "meta: ten examples hold every family of the default weights, each with what it proved besides the verify", () => {
    const m = meta();
    expect(m).toHaveLength(10);
    expect(new Set(m.map((x) => x.family))).toEqual(new Set(["attest", "troubleshoot", "inspect", "policy", "pipeline"]));
    for (const x of m) {
      if (["inspect", "policy", "pipeline"].includes(x.family)) expect(x.checks, x.family).toBeTruthy();
      if (x.family === "troubleshoot") expect(x.broken).toBeTruthy();
    }
  });

  testWith(
    HAVE,
    "verify passes every line of train.jsonl",
    async () => {
      const v = await runCli(["verify", join(dir, "train.jsonl"), "--workers", "2"], { env: env() });
      expect(v.code, v.stderr).toBe(0);
      expect(v.stderr).toMatch(new RegExp(`^${lines(join(dir, "train.jsonl")).length} passed, 0 failed$`, "m"));
    },
    600_000,
  );

  testWith(HAVE, "stats counts examples, distinct answers and skeletons, attestors and families from the data itself", async () => {
    const s = await runCli(["stats", join(dir, "train.jsonl"), "--json"], { env: env() });
    expect(s.code).toBe(0);
    const stats = JSON.parse(s.stdout) as {
      examples: number;
      distinct_answers: number;
      dimensions: Record<string, Record<string, number>>;
      distinct_skeletons: number;
      unique_question_and_skeleton_share: number;
    };
    expect(stats.examples).toBe(lines(join(dir, "train.jsonl")).length);
    expect(stats.distinct_answers).toBe(stats.examples);
    expect(Object.keys(stats.dimensions)).toContain("attestor");
    expect(Object.values(stats.dimensions.family!).reduce((a, b) => a + b, 0)).toBe(stats.examples);
    expect(stats.distinct_skeletons).toBe(stats.examples);
    expect(stats.unique_question_and_skeleton_share).toBe(1);
  });

  testWith(
    HAVE,
    "verify and stats take the output directory, finding the track through its manifest",
    async () => {
      const vd = await runCli(["verify", out, "--workers", "2"], { env: env() });
      expect(vd.code, vd.stderr).toBe(0);
      expect(vd.stderr).toMatch(/^10 passed, 0 failed$/m);
      const sd = await runCli(["stats", out, "--json"], { env: env() });
      expect(sd.code, sd.stderr).toBe(0);
      expect(sd.stdout).toContain('"examples"');
    },
    600_000,
  );

  testWith(
    HAVE,
    "broken examples are rejected with the right reason",
    async () => {
      const good = lines(join(out, "witness", "train.jsonl"))[0]!;
      const answer = good.messages[2]!.content;
      const step = /witness run -s (\S+)/.exec(answer)![1]!;
      const variant = (from: string | RegExp, to: string): Line => {
        const content = answer.replace(from, to);
        expect(content).not.toBe(answer);
        return { messages: [good.messages[0]!, good.messages[1]!, { role: "assistant", content }] };
      };
      const absent = ["jenkins", "gitlab", "maven"].find((a) => !answer.includes(`/attestations/${a}/`))!;
      const cases: [string, Line][] = [
        // The script's assignment, not a mention in the prose (a troubleshoot answer names the command too).
        ["keyid-mismatch", variant(`_keyid=$(openssl dgst -sha256 -r keys/${step}.pub`, "_keyid=$(openssl dgst -sha256 -r keys/policy.pub")],
        ["expired-policy", variant(/"expires": "[^"]+"/, '"expires": "2000-01-01T00:00:00Z"')],
        [
          "no-matching-attestation",
          variant('      "attestations": [\n', `      "attestations": [\n        { "type": "https://witness.dev/attestations/${absent}/v0.1" },\n`),
        ],
        [
          "rego-deny",
          variant(
            '      "attestations": [\n',
            '      "attestations": [\n        { "type": "https://witness.dev/attestations/command-run/v0.1", "regopolicies": [ { "name": "deny", "module": "$rego_always_deny" } ] },\n',
          ),
        ],
        [
          "bad-attestation",
          // Right before the final verify line (in an inspect answer it shares its block with the policy).
          variant(
            /\nwitness verify -p (?![\s\S]*\nwitness verify -p )/,
            `\ntr 'AEIOU' 'EIOUA' < att/${step}.json > att/tampered.json && mv att/tampered.json att/${step}.json\nwitness verify -p `,
          ),
        ],
      ];
      // The always-deny module must exist for the rego case.
      cases[3]![1].messages[2]!.content = cases[3]![1].messages[2]!.content.replace(
        "cat > policy.json <<EOF",
        "printf 'package deny\\nimport rego.v1\\n\\ndeny contains msg if {\\n\\tinput.cmd\\n\\tmsg := \"denied by test\"\\n}\\n' > always-deny.rego\nrego_always_deny=$(openssl base64 -A -in always-deny.rego)\ncat > policy.json <<EOF",
      );
      const file = join(tmp("broken"), "broken.jsonl");
      writeFileSync(file, cases.map(([, l]) => JSON.stringify(l)).join("\n") + "\n");
      const r = await runCli(["verify", file, "--workers", "2", "--json"], { env: env() });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^0 passed, 5 failed$/m);
      const report = {
        results: r.stdout
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { line: number; ok: boolean; reason: string }),
      };
      cases.forEach(([reason], i) => {
        const res = report.results.find((x) => x.line === i + 1)!;
        expect(res.ok).toBe(false);
        expect(res.reason, `line ${i + 1}`).toStartWith(`${reason}:`);
      });
    },
    600_000,
  );

  testWith(
    HAVE,
    "a chained example passes, and a file changed between its steps breaks artifactsFrom",
    async () => {
      const o = tmp("chain");
      const r = await runCli(["gen", "--config", join(ROOT, "fixtures/configs/witness-chain.toml"), "--count", "1", "--workers", "1", "--out", o], {
        env: env(),
      });
      expect(r.code, r.stderr).toBe(0);
      const good = [...lines(join(o, "witness", "train.jsonl")), ...lines(join(o, "witness", "valid.jsonl"))][0]!;
      const answer = good.messages[2]!.content;
      expect(answer).toContain('"artifactsFrom": [');
      const second = /witness run -s (\S+) -k \S+ -o \S+ -a git -- tar -czf \S+ (\S+)\)/.exec(answer)!;
      const tampered = answer.replace(
        `(cd repo/ws && witness run -s ${second[1]} `,
        `echo extra >> repo/ws/${second[2]}\n(cd repo/ws && witness run -s ${second[1]} `,
      );
      expect(tampered).not.toBe(answer);
      const file = join(tmp("chain-bad"), "chain.jsonl");
      writeFileSync(
        file,
        [good, { messages: [good.messages[0], good.messages[1], { role: "assistant", content: tampered }] }].map((l) => JSON.stringify(l)).join("\n") + "\n",
      );
      const v = await runCli(["verify", file, "--workers", "2", "--json"], { env: env() });
      expect(v.code).toBe(1);
      const report = {
        results: v.stdout
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { type: string; line: number; ok: boolean; reason: string })
          .filter((x) => x.type === "result")
          .sort((a, b) => a.line - b.line),
      };
      expect(report.results.map((x) => x.ok)).toEqual([true, false]);
      expect(report.results[1]!.reason).toStartWith("artifact-mismatch:");
    },
    600_000,
  );

  testWith(
    HAVE,
    "kill -9 mid-run, then the same command resumes to the uninterrupted result",
    async () => {
      const args = (o: string): string[] => ["gen", "--config", FAST, "--count", "10", "--workers", "2", "--seed", "9", "--out", o];
      const killed = tmp("killed");
      const proc = Bun.spawn([...binCommand(), ...args(killed)], { cwd: ROOT, env: env(), stdout: "ignore", stderr: "ignore" });
      const journal = join(killed, "witness", "journal.jsonl");
      for (let i = 0; i < 600 && !(existsSync(journal) && readFileSync(journal, "utf8").split("\n").length > 2); i++) await Bun.sleep(50);
      proc.kill("SIGKILL");
      await proc.exited;
      expect(existsSync(join(killed, "witness", "manifest.json"))).toBe(false);
      // A torn line, as a kill during a write would leave, must be cut and redone.
      writeFileSync(journal, readFileSync(journal, "utf8") + '{"id":"torn');
      const resumed = await runCli(args(killed), { env: env() });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toContain("resuming");
      const clean = tmp("clean");
      expect((await runCli(args(clean), { env: env() })).code).toBe(0);
      for (const f of ["train.jsonl", "valid.jsonl"]) {
        // A split with no line has no file, in both runs alike.
        const text = (d: string) => (existsSync(join(d, "witness", f)) ? readFileSync(join(d, "witness", f), "utf8") : "");
        expect(text(killed)).toBe(text(clean));
      }
      const ids = readFileSync(join(killed, "witness", "meta.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { id: string }).id);
      expect(new Set(ids).size).toBe(ids.length);
    },
    600_000,
  );

  testWith(
    HAVE,
    "SIGINT stops gen with exit 130, removes its temp dirs and keeps finished work",
    async () => {
      const out = tmp("sigint");
      const scratch = tmp("tmpdir");
      const proc = Bun.spawn([...binCommand(), "gen", "--config", FAST, "--count", "20", "--workers", "2", "--seed", "4", "--out", out], {
        cwd: ROOT,
        env: { ...env(), TMPDIR: scratch },
        stdout: "ignore",
        stderr: "pipe",
      });
      const journal = join(out, "witness", "journal.jsonl");
      // The journal's first line is the run's identity; the next is the first decided example.
      for (let i = 0; i < 600 && !(existsSync(journal) && readFileSync(journal, "utf8").split("\n").filter(Boolean).length > 1); i++) await Bun.sleep(50);
      proc.kill("SIGINT");
      const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
      expect(code).toBe(130);
      expect(stderr).toContain("run the same command again to resume");
      // What was decided is a set of its own, which its manifest calls partial; a rerun completes it.
      const manifest = JSON.parse(readFileSync(join(out, "witness", "manifest.json"), "utf8")) as { partial?: unknown; counts: { kept: number } };
      expect(manifest.partial).toEqual({ reason: "interrupted" });
      expect(manifest.counts.kept).toBeLessThan(20);
      expect(readFileSync(journal, "utf8").split("\n").filter(Boolean).length).toBeGreaterThan(0);
      expect(readdirSync(scratch).filter((d) => d.startsWith("sekft-ex-"))).toEqual([]);
    },
    600_000,
  );

  testWith(HAVE, "malformed JSONL and non-chat lines exit 2 naming the line", async () => {
    const dir = tmp("bad");
    // Streamed: the first bad line in file order is the one named, so line 1 is a good record.
    writeFileSync(join(dir, "a.jsonl"), '{"messages": [{"role": "assistant", "content": "a"}]}\n{"messages": [\n');
    const a = await runCli(["verify", join(dir, "a.jsonl")], { env: env() });
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("a.jsonl:2:");
    writeFileSync(join(dir, "b.jsonl"), '{"prompt": "x"}\n');
    const b = await runCli(["verify", join(dir, "b.jsonl")], { env: env() });
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('b.jsonl:1: no "messages" array');
  });

  testWith(
    HAVE,
    "a command whose tool is missing is skipped with a warning, not a failure",
    async () => {
      // A tool that works on the host but lives under HOME, which `sekft verify` hides.
      const home = tmp("ghost-home");
      mkdirSync(join(home, "bin"));
      writeFileSync(join(home, "bin", "sekft-home-only-tool"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
      const base = env();
      const e = { ...base, HOME: home, PATH: `${join(home, "bin")}:${base.PATH}` };
      const r = await runCli(["gen", "--config", join(ROOT, "fixtures/configs/witness-missing-tool.toml"), "--count", "2", "--out", tmp("ghost")], { env: e });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain("skipping command ghost-build: ghost-compiler does not work here");
      expect(r.stderr).toContain("skipping command home-build: sekft-home-only-tool is only under HOME");
      expect(r.stderr).toMatch(/witness: kept 2 /);
    },
    600_000,
  );

  testWith(
    HAVE,
    "--shard I/N splits the same stream into disjoint parts",
    async () => {
      const parts = await Promise.all(
        [0, 1].map(async (i) => {
          const o = tmp(`shard${i}`);
          const r = await runCli(["gen", "--config", FAST, "--count", "3", "--workers", "1", "--seed", "6", "--shard", `${i}/2`, "--out", o], { env: env() });
          expect(r.code, r.stderr).toBe(0);
          return readFileSync(join(o, "witness", "meta.jsonl"), "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { id: string; index: number });
        }),
      );
      parts.forEach((meta, i) => {
        expect(meta).toHaveLength(3);
        for (const m of meta) expect(m.index % 2).toBe(i);
      });
      expect(parts[0]!.some((a) => parts[1]!.some((b) => a.id === b.id))).toBe(false);
      expect((await runCli(["gen", "--shard", "2/2", "--count", "1"], { env: env() })).code).toBe(2);
    },
    600_000,
  );

  testWith(HAVE, "a missing witness binary is a clear error with exit 2", async () => {
    const r = await runCli(["gen", "--count", "1", "--out", tmp("nowit")], { env: cleanEnv({ SEKFT_WITNESS: "/nonexistent/witness", HOME: tmp("home") }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("witness v0.11.0 not found");
  });
});
