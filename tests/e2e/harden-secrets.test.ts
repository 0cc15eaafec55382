// needs: docker
import { expect } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, runCli } from "../helpers/cli.ts";
import { dockerPresent, testWith } from "../helpers/deps.ts";
import { startFakeOpenAI } from "../helpers/openai-server.ts";
import { composeBuiltin } from "../../src/shell/builtin/compose.ts";

const DOCKER = dockerPresent();
const KEY = "sk-harden-echo-9f8e7d6c5b4a";

testWith(
  DOCKER,
  "a teacher that echoes the Authorization header: the key is in no file written, and no bundle holding it is admitted (issue 14, item 6)",
  async () => {
    // Each reply is a sound builtin bundle with the request's Authorization header pasted somewhere.
    const server = await startFakeOpenAI((body, req, n) => {
      const auth = req.headers.get("authorization") ?? "";
      const cell = JSON.parse(body.messages[1].content);
      const good = composeBuiltin(cell, 2);
      const variants = [
        { ...good, login_text: `${good.login_text}\n${auth}` },
        { ...good, fixtures: [...good.fixtures, { path: "/home/op/notes.txt", type: "file", content: `token: ${auth}\n`, mode: 420, owner: "op" }] },
        { ...good, fixtures: [...good.fixtures, { path: `/home/op/${auth.replace(/\W+/g, "_")}/../x`, type: "file", content: "x", mode: 420, owner: "op" }] },
        { ...good, terminal: `${auth}` },
      ];
      return { content: JSON.stringify(variants[(n - 1) % variants.length]), usage: { prompt_tokens: 1, completion_tokens: 1 } };
    });
    try {
      const dir = mkdtempSync(join(tmpdir(), "sekft-harden-key-"));
      const cfg = join(dir, "teacher.toml");
      writeFileSync(cfg, `[shell.teacher]\nbase_url = "${server.url}"\nmodel = "fake"\nmax_attempts = 2\nconcurrency = 2\n`);
      const r = await runCli(["gen", "--track", "shell", "--author", "model", "--count", "2", "--workers", "2", "--out", dir, "--config", cfg], {
        env: cleanEnv({ OPENAI_API_KEY: KEY }),
        timeoutMs: 200_000,
      });
      expect(server.authorizations.some((a) => a?.includes(KEY))).toBe(true);
      expect(r.code).toBe(1);
      const rejects = readFileSync(join(dir, "shell", "rejects.jsonl"), "utf8");
      expect(rejects).toContain("API key");
      const written = [rejects, r.stderr, r.stdout];
      const bundles = join(dir, "shell", "bundles");
      for (const f of existsSync(bundles) ? readdirSync(bundles) : []) written.push(readFileSync(join(bundles, f), "utf8"));
      for (const text of written) {
        expect(text).not.toContain(KEY);
        expect(text).not.toContain("9f8e7d6c5b4a");
      }
    } finally {
      await server.close();
    }
  },
  240_000,
);
