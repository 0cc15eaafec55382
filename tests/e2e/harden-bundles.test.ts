// needs: docker
import { expect } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.ts";
import { dockerPresent, testWith } from "../helpers/deps.ts";
import { composeBuiltin } from "../../src/shell/builtin/compose.ts";
import { BUNDLE_SCHEMA_VERSION, bundleId } from "../../src/shell/bundle.ts";

const DOCKER = dockerPresent();
const cell = { task: "file_content", provider: "subcommand", announcement: "motd", doc_depth: "help", difficulty: "single" };

/** A hostile bundle file: a builtin scenario edited, with its id recomputed (the id is a plain content hash). */
function hostile(edit: (s: ReturnType<typeof composeBuiltin>) => unknown): unknown {
  const scenario = edit(composeBuiltin(cell, 4)) as Parameters<typeof bundleId>[1];
  return {
    schema: BUNDLE_SCHEMA_VERSION,
    id: bundleId(cell, scenario),
    cell,
    author: { kind: "builtin", version: "builtin/1", seed: 4 },
    image: { tag: "sekft-sandbox:latest", id: "sha256:0" },
    ...scenario,
    gate: { passed: true, repeats: 2, flaky: false, timings_ms: { untouched: 1, reference: [1, 1], mutant: 1, total: 3 }, mutant: "" },
  };
}

testWith(
  DOCKER,
  "verify BUNDLE_DIR applies every authoring safety rule to bundles read from disk: each bad one fails with its reason (issue 14, item 5)",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "sekft-harden-bundles-"));
    mkdirSync(join(dir, "bundles"));
    const file = (s: ReturnType<typeof composeBuiltin>, f: object) => ({ ...s, fixtures: [...s.fixtures, { type: "file", mode: 420, owner: "op", ...f }] });
    const cases: Record<string, [unknown, RegExp]> = {
      traversal: [hostile((s) => file(s, { path: "/home/op/../../etc/evil", content: "x" })), /unsafe: fixture path escape: .*\.\./],
      outside: [hostile((s) => file(s, { path: "/etc/evil", content: "x" })), /unsafe: fixture path escape: .*outside the allowed roots/],
      bigfixture: [hostile((s) => file(s, { path: "/home/op/big", content: "A".repeat(30 * 2 ** 20) })), /oversize: the file has \d+ bytes/],
      bigchecker: [hostile((s) => ({ ...s, checker: `${s.checker}\n#${"x".repeat(1_200_000)}\n` })), /unsafe: oversize: checker is larger than 16384 bytes/],
      device: [
        hostile((s) => file(s, { path: "/home/op/dev", type: "chardev" })),
        /unsafe: not a bundle: fixtures\.\d+\.type: .*device and special files are not allowed/,
      ],
    };
    for (const [name, [bundle]] of Object.entries(cases)) writeFileSync(join(dir, "bundles", `${name}.json`), JSON.stringify(bundle));
    const r = await runCli(["verify", dir, "--json", "--workers", "2"], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout) as { passed: number; failed: number; results: { file: string; passed: boolean; reason: string }[] };
    expect(out).toMatchObject({ passed: 0, failed: 5 });
    for (const [name, [, reason]] of Object.entries(cases)) {
      const result = out.results.find((x) => x.file.endsWith(`${name}.json`));
      expect(result?.reason, name).toMatch(reason);
    }
  },
  180_000,
);
