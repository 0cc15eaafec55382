import { z } from "zod";

const Weight = z.number().min(0).describe("relative sampling weight");

const AxisEntry = z.strictObject({ weight: Weight.default(1), description: z.string().default("") });
const ProviderEntry = z.strictObject({
  weight: Weight.default(1),
  description: z.string().default(""),
  doc_depths: z.array(z.string().min(1)).min(1).describe("doc depths this provider can be documented with"),
});
const DifficultyEntry = z.strictObject({
  weight: Weight.default(1),
  terminal: z.enum(["exit", "panic"]),
  description: z.string().default(""),
});

// Defaults live only in the embedded config.toml; the schema states types and bounds, never values.
// Bounds keep every duration below Node's 2^31 ms timer limit and every size within what the engine accepts.
const DAY_S = 86_400;

export const SandboxSchema = z.strictObject({
  memory_mb: z.number().int().min(16).max(65_536, "at most 65536 (64 GiB) per container").describe("memory limit per container"),
  pids_limit: z.number().int().min(8).max(32_768, "at most 32768 processes").describe("process limit per container"),
  cpus: z.number().min(0.1).max(64, "at most 64 CPUs (the engine refuses more than the host has)").describe("CPU limit per container"),
  disk_mb: z.number().int().min(1).max(65_536, "at most 65536 (tmpfs areas live in memory)").describe("size of each tmpfs writable area"),
  lifetime_s: z
    .number()
    .int()
    .min(10)
    .max(7 * DAY_S, "at most 604800 (a week)")
    .describe("a container ends itself after this long"),
  command_timeout_s: z.number().min(0.5).max(DAY_S, "at most 86400 (a day)").describe("per-command timeout"),
  checker_timeout_s: z.number().min(0.5).max(DAY_S, "at most 86400 (a day)").describe("checker timeout"),
  engine_timeout_s: z.number().min(0.5).max(3_600, "at most 3600 (an hour)").describe("deadline of each Docker engine call"),
  max_output_bytes: z
    .number()
    .int()
    .min(256)
    .max(16 * 2 ** 20, "at most 16 MiB")
    .describe("stdout/stderr kept per command"),
});

export const LimitsSchema = z.strictObject({
  max_fixtures: z.number().int().min(1).max(10_000),
  max_file_bytes: z
    .number()
    .int()
    .min(1)
    .max(64 * 2 ** 20, "at most 64 MiB"),
  max_total_bytes: z
    .number()
    .int()
    .min(1)
    .max(256 * 2 ** 20, "at most 256 MiB"),
  max_commands: z.number().int().min(2).max(1_000),
  max_checker_bytes: z
    .number()
    .int()
    .min(64)
    .max(2 ** 20, "at most 1 MiB"),
});

/** An OpenAI-compatible endpoint (`[shell.teacher]`, `[shell.operator]`). */
export const ModelEndpointSchema = z.strictObject({
  base_url: z.string().url(),
  model: z.string().min(1),
  api_key_env: z.string().regex(/^([A-Za-z_][A-Za-z0-9_]*)?$/, 'an environment variable name, or "" for a server that needs no key'),
  concurrency: z.number().int().min(1).max(256),
  timeout_s: z.number().min(1).max(DAY_S, "at most 86400 (a day)"),
  max_attempts: z.number().int().min(1).max(100),
});

export const ShellSchema = z
  .strictObject({
    count: z.number().int().min(1).max(1_000_000).describe("bundles to keep"),
    image: z.string().min(1).describe("sandbox image (built offline when missing)"),
    gate_repeats: z.number().int().min(1).max(100).describe("fresh-container runs the reference must pass"),
    min_terminal_share: z.number().min(0).max(0.5).describe("least share of panic and of empty-queue cells"),
    sandbox: SandboxSchema,
    limits: LimitsSchema,
    tasks: z.record(z.string(), AxisEntry),
    providers: z.record(z.string(), ProviderEntry),
    announcements: z.record(z.string(), AxisEntry),
    doc_depths: z.record(z.string(), AxisEntry),
    difficulties: z.record(z.string(), DifficultyEntry),
    teacher: ModelEndpointSchema,
    operator: ModelEndpointSchema,
  })
  .superRefine((shell, ctx) => {
    for (const [name, p] of Object.entries(shell.providers)) {
      for (const d of p.doc_depths) {
        if (!(d in shell.doc_depths)) ctx.addIssue({ code: "custom", path: ["providers", name, "doc_depths"], message: `unknown doc depth "${d}"` });
      }
    }
    const total = Object.values(shell.difficulties).reduce((s, d) => s + d.weight, 0);
    const share = (pick: (name: string, terminal: string) => boolean) =>
      Object.entries(shell.difficulties).reduce((s, [n, d]) => s + (pick(n, d.terminal) ? d.weight : 0), 0) / (total || 1);
    const panic = share((_, t) => t === "panic");
    const empty = share((n) => n === "empty_queue");
    if (panic < shell.min_terminal_share)
      ctx.addIssue({ code: "custom", path: ["difficulties"], message: `panic cells are ${(panic * 100).toFixed(0)}% of the weight, below min_terminal_share` });
    if (empty < shell.min_terminal_share)
      ctx.addIssue({
        code: "custom",
        path: ["difficulties"],
        message: `empty_queue cells are ${(empty * 100).toFixed(0)}% of the weight, below min_terminal_share`,
      });
  });

export type ShellConfig = z.infer<typeof ShellSchema>;
export type ModelEndpoint = z.infer<typeof ModelEndpointSchema>;
