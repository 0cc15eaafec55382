// needs: witness
import { expect } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, runCli } from "../helpers/cli.ts";
import { testWith, witnessBin } from "../helpers/deps.ts";

// Issue 19, item 4: a configured project file holding a line `EOF` ended the here-document that writes it, and
// the lines after it ran on the host during gen; `$(…)` and backticks must stay text too.
testWith(
  Boolean(witnessBin()),
  "gen: a project file holding EOF, $(…), backticks and a fence is written as data; nothing in it runs on the host",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "sekft-attack-config-"));
    const canaries = [1, 2, 3].map((i) => join(dir, `canary-${i}`));
    const content = [
      "first line",
      "EOF",
      `touch ${canaries[0]}`,
      `'$(touch ${canaries[1]})' \`touch ${canaries[2]}\` $HOME`,
      "```",
      "last line, no newline",
    ].join("\n");
    const off = ["troubleshoot", "inspect", "policy", "pipeline"].map((f) => `[witness.families.${f}]\nweight = 0\n`).join("\n");
    const config = join(dir, "hostile.toml");
    writeFileSync(
      config,
      `[witness]\nkey_types = ["ed25519"]\nmax_attestors = 3\n\n${off}\n` +
        `[[witness.commands]]\nname = "copy"\nproject = "notes"\nrun = "cp notes.txt out.txt"\nartifact = "out.txt"\ntool = "cp"\nprobe = "cp --version"\nkind = "build"\n\n` +
        `[witness.step_commands]\nbuild = ["copy"]\n\n` +
        `[[witness.projects]]\nname = "notes"\nkind = "notes"\n[witness.projects.files]\n"notes.txt" = ${JSON.stringify(content)}\n`,
    );
    const out = join(dir, "out");
    const r = await runCli(["gen", "--config", config, "--count", "2", "--workers", "2", "--out", out], { env: cleanEnv(), timeoutMs: 240_000 });
    for (const c of canaries) expect(existsSync(c), `${c}: configured text ran as a command`).toBe(false);
    expect(r.code, r.stderr).toBe(0);
    // A split with no line has no file.
    const kept = ["train.jsonl", "valid.jsonl"]
      .filter((f) => existsSync(join(out, "witness", f)))
      .flatMap((f) =>
        readFileSync(join(out, "witness", f), "utf8")
          .split("\n")
          .filter(Boolean),
      );
    expect(kept).toHaveLength(2);
    // The kept answers still pass when re-run, and still run nothing of the file.
    const both = join(dir, "both.jsonl");
    writeFileSync(both, `${kept.join("\n")}\n`);
    const v = await runCli(["verify", both, "--host"], { env: cleanEnv(), timeoutMs: 240_000 });
    expect(v.code, v.stderr).toBe(0);
    for (const c of canaries) expect(existsSync(c)).toBe(false);
  },
  300_000,
);
