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

/** Defaults of the taxonomy; config.toml carries the same values (a unit test keeps them equal). */
export const DEFAULT_TAXONOMY = {
  tasks: {
    file_content: { weight: 1, description: "create a file with exact content" },
    rename_move: { weight: 1, description: "rename or move a file" },
    permissions: { weight: 1, description: "set a file's mode" },
    archive: { weight: 1, description: "pack a directory into a tar.gz archive" },
    checksum_manifest: { weight: 1, description: "write a SHA-256 manifest of a directory" },
    text_replace: { weight: 1, description: "replace text in a config file" },
    line_count: { weight: 1, description: "write a file's line count to a report" },
    dir_tree: { weight: 1, description: "create a directory tree" },
    cleanup_pattern: { weight: 1, description: "delete files matching a pattern, keep the rest" },
    sort_dedupe: { weight: 1, description: "sort a list and remove duplicates" },
  },
  providers: {
    subcommand: { weight: 1, description: "a command with subcommands (list, show)", doc_depths: ["help", "man", "usage_error"] },
    single_flag: { weight: 1, description: "a tool with one flag that prints the queue", doc_depths: ["help", "man", "usage_error"] },
    spool: { weight: 1, description: "a spool directory of directive files", doc_depths: ["readme", "man"] },
    man_tool: { weight: 1, description: "a tool documented only by its man page", doc_depths: ["man"] },
    env_file: { weight: 1, description: "an environment variable naming a directives file", doc_depths: ["readme"] },
  },
  announcements: {
    motd: { weight: 1, description: "/etc/motd says where directives live" },
    login_banner: { weight: 1, description: "the login text says it" },
    env_var: { weight: 1, description: "an environment variable says it" },
    home_file: { weight: 1, description: "a file in the home directory says it" },
  },
  doc_depths: {
    help: { weight: 1, description: "--help prints the usage" },
    man: { weight: 1, description: "only a man page documents it" },
    usage_error: { weight: 1, description: "usage is printed only when it is misused" },
    readme: { weight: 1, description: "a README or header next to the data" },
  },
  difficulties: {
    single: { weight: 0.35, terminal: "exit", description: "one directive" },
    multi: { weight: 0.25, terminal: "exit", description: "two directives, in order" },
    empty_queue: { weight: 0.2, terminal: "exit", description: "nothing to do: exit without acting" },
    blocked: { weight: 0.2, terminal: "panic", description: "a directive cannot be done: do what comes before it, then panic" },
  },
} as const;

export const SandboxSchema = z.strictObject({
  memory_mb: z.number().int().min(16).default(128).describe("memory limit per container"),
  pids_limit: z.number().int().min(8).default(64).describe("process limit per container"),
  cpus: z.number().min(0.1).default(1).describe("CPU limit per container"),
  disk_mb: z.number().int().min(1).default(16).describe("size of each tmpfs writable area"),
  lifetime_s: z.number().int().min(10).default(900).describe("a container ends itself after this long"),
  command_timeout_s: z.number().min(0.5).default(10).describe("per-command timeout"),
  checker_timeout_s: z.number().min(0.5).default(10).describe("checker timeout"),
  max_output_bytes: z.number().int().min(256).default(16384).describe("stdout/stderr kept per command"),
});

export const LimitsSchema = z.strictObject({
  max_fixtures: z.number().int().min(1).default(64),
  max_file_bytes: z.number().int().min(1).default(65536),
  max_total_bytes: z.number().int().min(1).default(262144),
  max_commands: z.number().int().min(2).default(40),
  max_checker_bytes: z.number().int().min(64).default(16384),
});

const ModelEndpoint = (concurrency: number) =>
  z.strictObject({
    base_url: z.string().url().default("http://127.0.0.1:4000/v1"),
    model: z.string().min(1).default("gpt-4o-mini"),
    api_key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .default("OPENAI_API_KEY"),
    concurrency: z.number().int().min(1).default(concurrency),
    timeout_s: z.number().min(1).default(120),
    max_attempts: z.number().int().min(1).default(3),
  });

export const ShellSchema = z
  .strictObject({
    count: z.number().int().min(1).default(10).describe("bundles to keep"),
    image: z.string().min(1).default("sekft-sandbox:latest").describe("sandbox image (built offline when missing)"),
    gate_repeats: z.number().int().min(1).default(2).describe("fresh-container runs the reference must pass"),
    min_terminal_share: z.number().min(0).max(0.5).default(0.15).describe("least share of panic and of empty-queue cells"),
    sandbox: SandboxSchema.default(SandboxSchema.parse({})),
    limits: LimitsSchema.default(LimitsSchema.parse({})),
    tasks: z.record(z.string(), AxisEntry).default(DEFAULT_TAXONOMY.tasks),
    providers: z.record(z.string(), ProviderEntry).default(structuredClone(DEFAULT_TAXONOMY.providers) as never),
    announcements: z.record(z.string(), AxisEntry).default(DEFAULT_TAXONOMY.announcements),
    doc_depths: z.record(z.string(), AxisEntry).default(DEFAULT_TAXONOMY.doc_depths),
    difficulties: z.record(z.string(), DifficultyEntry).default(DEFAULT_TAXONOMY.difficulties),
    teacher: ModelEndpoint(4).default(ModelEndpoint(4).parse({})),
    operator: ModelEndpoint(2).default(ModelEndpoint(2).parse({})),
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
  })
  .prefault({});

export type ShellConfig = z.infer<typeof ShellSchema>;
