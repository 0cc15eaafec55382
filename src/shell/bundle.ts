import { canonical, sha256 } from "../dataset/hash.ts";
import { posix } from "node:path";
import { z } from "zod";
import { rootOf } from "../sandbox/fixtures.ts";
import { parseTerminal } from "../sandbox/session.ts";
import type { ShellConfig } from "../config/shell-schema.ts";

export const BUNDLE_SCHEMA_VERSION = "sekft.shell.bundle/v1";
export const BUILTIN_VERSION = "builtin/1";

export const CellSchema = z.strictObject({
  task: z.string().min(1),
  provider: z.string().min(1),
  announcement: z.string().min(1),
  doc_depth: z.string().min(1),
  difficulty: z.string().min(1),
});
export type Cell = z.infer<typeof CellSchema>;

export const FixtureSchema = z.strictObject({
  path: z.string().min(2).max(256),
  // Anything but a regular file or directory (device, fifo, socket, symlink) is refused by this enum.
  type: z.enum(["file", "dir"], { error: "fixture type must be file or dir (device and special files are not allowed)" }).default("file"),
  content: z.string().optional(),
  mode: z
    .preprocess(
      (v) => (typeof v === "string" && /^0?[0-7]{3}$/.test(v) ? Number.parseInt(v, 8) : v),
      z.number().int().min(0).max(0o777, { error: "setuid, setgid and sticky bits are not allowed" }),
    )
    .default(0o644),
  owner: z.enum(["op", "root"]).default("op"),
});
export type Fixture = z.infer<typeof FixtureSchema>;

export const StepSchema = z.strictObject({ cmd: z.string().min(1).max(4096), work: z.boolean().default(false) });
export type Step = z.infer<typeof StepSchema>;

/** A plausible wrong way to do the work: its commands replace the reference's working steps (README "Shell scenarios"). */
export const MistakeSchema = z.strictObject({ name: z.string().min(1).max(200), work: z.array(z.string().min(1).max(4096)).min(1) });
export type Mistake = z.infer<typeof MistakeSchema>;

/** What an author produces: the scenario itself, with no id, image or gate record. */
export const ScenarioSchema = z.strictObject({
  login_text: z.string().max(4096),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "env names must be shell identifiers" }), z.string().max(4096)).default({}),
  fixtures: z.array(FixtureSchema),
  reference: z.array(StepSchema).min(1),
  terminal: z.enum(["exit", "panic"]),
  checker: z.string().min(1),
  decoy: z.array(z.string().min(1)).default([]),
  /** Optional: absent on bundles made before the field, so their ids stay what they were. */
  mistakes: z.array(MistakeSchema).max(24).optional(),
});
export type Scenario = z.infer<typeof ScenarioSchema>;

export const UsageSchema = z.strictObject({ prompt_tokens: z.number().int().min(0), completion_tokens: z.number().int().min(0) });

export const AuthorSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("builtin"), version: z.string(), seed: z.number().int() }),
  z.strictObject({ kind: z.literal("model"), model: z.string(), prompt_version: z.string(), usage: UsageSchema, attempts: z.number().int() }),
]);

export const GateSchema = z.strictObject({
  passed: z.boolean(),
  reason: z.string().optional(),
  repeats: z.number().int(),
  flaky: z.boolean(),
  timings_ms: z.strictObject({
    untouched: z.number().nullable(),
    reference: z.array(z.number()),
    mutant: z.number().nullable(),
    mistakes: z.array(z.number()).optional(),
    total: z.number(),
  }),
  mutant: z.string(),
  /** The names of the mistakes the checker rejected (absent on bundles gated before mistakes existed). */
  mistakes: z.array(z.string()).optional(),
});
export type GateRecord = z.infer<typeof GateSchema>;

/** A scenario bundle on disk (README "Shell scenarios" lists its fields). */
export const BundleSchema = z.strictObject({
  schema: z.literal(BUNDLE_SCHEMA_VERSION),
  id: z.string().regex(/^[0-9a-f]{16,64}$/),
  cell: CellSchema,
  author: AuthorSchema,
  image: z.strictObject({ tag: z.string(), id: z.string() }),
  ...ScenarioSchema.shape,
  gate: GateSchema,
});
export type Bundle = z.infer<typeof BundleSchema>;

/** The bundle id: a hash of the cell and scenario content (not of author, image or gate timings). */
export function bundleId(cell: Cell, scenario: Scenario): string {
  return sha256(canonical({ cell, scenario })).slice(0, 24);
}

/** Safety rules zod cannot express; returns the first reason the scenario is unsafe, or null. */
export function unsafeReason(s: Scenario, limits: ShellConfig["limits"]): string | null {
  if (s.fixtures.length > limits.max_fixtures) return `oversize: ${s.fixtures.length} fixtures (limit ${limits.max_fixtures})`;
  let total = 0;
  const seen = new Set<string>();
  for (const f of s.fixtures) {
    const p = f.path;
    if (!p.startsWith("/")) return `fixture path escape: ${JSON.stringify(p)} is not absolute`;
    if (p.split("/").some((seg) => seg === ".." || seg === ".")) return `fixture path escape: ${JSON.stringify(p)} contains "." or ".." segments`;
    if (posix.normalize(p) !== p || p.endsWith("/")) return `fixture path escape: ${JSON.stringify(p)} is not normalized`;
    if (!/^[A-Za-z0-9._+@/-]+$/.test(p)) return `fixture path ${JSON.stringify(p)} has characters outside [A-Za-z0-9._+@/-]`;
    if (!rootOf(p)) return `fixture path escape: ${JSON.stringify(p)} is outside the allowed roots (/home/op, /usr/local, /var)`;
    if (seen.has(p)) return `fixture ${p} is listed twice`;
    seen.add(p);
    if (f.type === "dir" && f.content !== undefined) return `fixture ${p} is a dir with content`;
    const size = Buffer.byteLength(f.content ?? "");
    if (size > limits.max_file_bytes) return `oversize: fixture ${p} has ${size} bytes (limit ${limits.max_file_bytes})`;
    total += size;
  }
  if (total > limits.max_total_bytes) return `oversize: fixtures total ${total} bytes (limit ${limits.max_total_bytes})`;
  if (Buffer.byteLength(s.checker) > limits.max_checker_bytes) return `oversize: checker is larger than ${limits.max_checker_bytes} bytes`;
  if (s.reference.length + s.decoy.length > limits.max_commands) return `oversize: more than ${limits.max_commands} commands`;
  const last = parseTerminal(s.reference.at(-1)!.cmd);
  if (!last || last.kind !== s.terminal) return `the reference must end with its terminal \`${s.terminal}\``;
  if (s.reference.slice(0, -1).some((step) => parseTerminal(step.cmd))) return "the reference has a terminal before its last step";
  if (s.decoy.some((cmd) => parseTerminal(cmd))) return "a decoy command is a terminal";
  for (const m of s.mistakes ?? []) {
    if (m.work.some((cmd) => parseTerminal(cmd))) return `mistake "${m.name}" has a terminal command`;
    if (s.reference.length + m.work.length > limits.max_commands) return `oversize: mistake "${m.name}" makes more than ${limits.max_commands} commands`;
  }
  return null;
}

/** Validates untrusted JSON into a scenario, or returns the reason it is rejected. */
export function parseScenario(raw: unknown, limits: ShellConfig["limits"]): { ok: true; scenario: Scenario } | { ok: false; reason: string } {
  const parsed = ScenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, reason: `schema violation at ${issue.path.join(".") || "(top)"}: ${issue.message}` };
  }
  const why = unsafeReason(parsed.data, limits);
  return why ? { ok: false, reason: why } : { ok: true, scenario: parsed.data };
}
