import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { DEFAULT_CONFIG_TEXT, loadConfig, parseToml, printConfig, validateConfig } from "../../src/config/load.ts";
import { ConfigError } from "../../src/config/../errors.ts";
import { ConfigSchema } from "../../src/config/schema.ts";
import { checkHorizon } from "../../src/witness/prepare.ts";

const F = (name: string): string => join(import.meta.dir, "../../fixtures/configs", name);

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("config", () => {
  test("the embedded default is valid and has every dimension", () => {
    const c = loadConfig(undefined);
    expect(c.witness.steps.length).toBeGreaterThanOrEqual(10);
    expect(c.witness.questions.length).toBeGreaterThanOrEqual(15);
    expect(c.witness.commands.length).toBeGreaterThanOrEqual(20);
    expect(Object.isFrozen(c.witness)).toBe(true);
  });

  test("defaults live only in the embedded config.toml: the schema supplies none", () => {
    const empty = ConfigSchema.safeParse({});
    expect(empty.success).toBe(false);
    // Drop one key from the embedded text: validation must name it, proving no second default hides behind it.
    const raw = parseToml(DEFAULT_CONFIG_TEXT, "embedded");
    delete (raw.shell as { sandbox: Record<string, unknown> }).sandbox.memory_mb;
    expect(() => validateConfig(raw, "embedded")).toThrow(/shell\.sandbox\.memory_mb/);
  });

  test("durations and sizes are bounded, naming the key and why", () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ witness: { timeout_s: 2_147_484 } }, /witness\.timeout_s: .*86400/],
      [{ shell: { sandbox: { command_timeout_s: 2_147_484 } } }, /shell\.sandbox\.command_timeout_s: .*86400/],
      [{ shell: { sandbox: { cpus: 100_000 } } }, /shell\.sandbox\.cpus: .*64/],
      [{ shell: { sandbox: { lifetime_s: 10 ** 9 } } }, /shell\.sandbox\.lifetime_s/],
      [{ witness: { min_attestors: 6, max_attestors: 2 } }, /witness\.min_attestors: min_attestors \(6\) is greater than max_attestors \(2\)/],
      [{ run: { out: "a\0b" } }, /run\.out: must not contain a NUL byte/],
    ];
    for (const [over, message] of bad) expect(() => loadConfig(undefined, over)).toThrow(message);
  });

  test("a config that replaces the projects keeps the default attestors: maven's project list names one it lacks, and loads", () => {
    const notes = { name: "notes", kind: "notes", files: { "notes.txt": "hi\n" } };
    const cmd = {
      name: "notes-tar",
      project: "notes",
      run: "tar -cf notes.tar notes.txt",
      artifact: "notes.tar",
      tool: "tar",
      probe: "tar --version",
      kind: "package",
    };
    const c = loadConfig(undefined, { witness: { projects: [notes], commands: [cmd], step_commands: { package: ["notes-tar"] } } } as never);
    expect(c.witness.attestors.find((a) => a.name === "maven")?.projects).toEqual(["java-hello"]);
    expect(c.witness.projects.map((p) => p.name)).toEqual(["notes"]);
  });

  test("answer token budgets are whole numbers in bounds; a family's own is optional", () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ witness: { max_answer_tokens: 0 } }, /witness\.max_answer_tokens: .*16/],
      [{ witness: { max_answer_tokens: 2_000_000 } }, /witness\.max_answer_tokens: .*1000000/],
      [{ witness: { max_answer_tokens: 100.5 } }, /witness\.max_answer_tokens: .*expected int/],
      [{ witness: { families: { attest: { max_answer_tokens: 8 } } } }, /witness\.families\.attest\.max_answer_tokens: .*16/],
      [{ witness: { families: { pipeline: { max_answer_tokens: "4k" } } } }, /witness\.families\.pipeline\.max_answer_tokens: .*number/],
    ];
    for (const [over, message] of bad) expect(() => loadConfig(undefined, over)).toThrow(message);
    const w = loadConfig(undefined, { witness: { max_answer_tokens: 16, families: { troubleshoot: { max_answer_tokens: 1_000_000 } } } }).witness;
    expect([w.max_answer_tokens, w.families.troubleshoot.max_answer_tokens, w.families.pipeline?.max_answer_tokens]).toEqual([16, 1_000_000, undefined]);
  });

  test("a good file overrides defaults and keeps the rest", () => {
    const c = loadConfig(F("good.toml"));
    expect(c.run.workers).toBe(2);
    expect(c.run.seed).toBe(7);
    expect(c.witness.steps).toEqual(["build", "package"]);
    expect(c.witness.questions.length).toBeGreaterThanOrEqual(15);
  });

  test("flags override the file", () => {
    expect(loadConfig(F("good.toml"), { run: { seed: 99 } }).run.seed).toBe(99);
  });

  test("a TOML syntax error names file, line and column", () => {
    const e = configError(() => loadConfig(F("bad-syntax.toml")));
    expect(e.message).toMatch(/bad-syntax\.toml:3:\d+: TOML syntax error/);
    expect(e.exitCode).toBe(2);
  });

  test("a wrong type names the dotted key and what was expected", () => {
    const e = configError(() => loadConfig(F("bad-type.toml")));
    expect(e.message).toContain("run.workers:");
    expect(e.message).toMatch(/expected number/i);
  });

  test("an unknown key is an error naming it, at any depth", () => {
    expect(configError(() => loadConfig(F("unknown-key.toml"))).message).toContain("run.wrokers: unknown key");
    expect(configError(() => loadConfig(F("unknown-nested.toml"))).message).toContain("witness.attestors[0].colour: unknown key");
  });

  test("a missing file is an error", () => {
    expect(configError(() => loadConfig(F("nope.toml"))).message).toContain("no such config file");
  });

  test("print renders TOML that validates to the same config", () => {
    const c = loadConfig(undefined);
    const again = validateConfig(parseToml(printConfig(c), "printed"), "printed");
    expect(again).toEqual(c);
  });

  test("a policy expiry inside the horizon is refused", () => {
    const c = loadConfig(F("expired.toml"));
    const e = configError(() => checkHorizon(c.witness, new Date("2026-11-21T00:00:00Z")));
    expect(e.message).toContain("witness.policy_expires");
    expect(() => checkHorizon(loadConfig(undefined).witness, new Date("2026-11-21T00:00:00Z"))).not.toThrow();
  });
});
