import type { ShellConfig } from "../config/shell-schema.ts";
import { Sandbox } from "./container.ts";
import type { DockerEngine } from "./docker.ts";
import type { SandboxImage } from "./image.ts";
import { allowedSyscalls, DENIED_SYSCALLS } from "./seccomp.ts";

// Linux capability numbers (include/uapi/linux/capability.h), for naming the bits of /proc/self/status.
const CAPABILITIES = [
  "CHOWN",
  "DAC_OVERRIDE",
  "DAC_READ_SEARCH",
  "FOWNER",
  "FSETID",
  "KILL",
  "SETGID",
  "SETUID",
  "SETPCAP",
  "LINUX_IMMUTABLE",
  "NET_BIND_SERVICE",
  "NET_BROADCAST",
  "NET_ADMIN",
  "NET_RAW",
  "IPC_LOCK",
  "IPC_OWNER",
  "SYS_MODULE",
  "SYS_RAWIO",
  "SYS_CHROOT",
  "SYS_PTRACE",
  "SYS_PACCT",
  "SYS_ADMIN",
  "SYS_BOOT",
  "SYS_NICE",
  "SYS_RESOURCE",
  "SYS_TIME",
  "SYS_TTY_CONFIG",
  "MKNOD",
  "LEASE",
  "AUDIT_WRITE",
  "AUDIT_CONTROL",
  "SETFCAP",
  "MAC_OVERRIDE",
  "MAC_ADMIN",
  "SYSLOG",
  "WAKE_ALARM",
  "BLOCK_SUSPEND",
  "AUDIT_READ",
  "PERFMON",
  "BPF",
  "CHECKPOINT_RESTORE",
];

/** The capability names of a hex mask as /proc/self/status prints it. */
export function capabilityNames(hex: string): string[] {
  const mask = BigInt(`0x${hex || "0"}`);
  return CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** What one exec holds, read by the exec itself from /proc/self/status. */
export interface ExecSecurity {
  uid: number;
  effective: string[];
  bounding: string[];
  /** 0 none, 1 strict, 2 filter (a seccomp profile is in force). */
  seccomp: number;
  noNewPrivs: boolean;
}

/** Parses /proc/self/status into what a security report needs. */
export function parseStatus(text: string): ExecSecurity {
  const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, "m").exec(text)?.[1]?.trim() ?? "";
  return {
    uid: Number(field("Uid").split(/\s+/)[1] ?? -1),
    effective: capabilityNames(field("CapEff")),
    bounding: capabilityNames(field("CapBnd")),
    seccomp: Number(field("Seccomp") || 0),
    noNewPrivs: field("NoNewPrivs") === "1",
  };
}

/** How an exec holds up, in one line. */
export function describeExec(who: string, s: ExecSecurity): string {
  const caps = s.effective.length ? s.effective.join(",") : "none";
  const filter = s.seccomp === 2 ? "seccomp filter on" : "NO seccomp filter";
  return `${who}: uid ${s.uid}, effective capabilities ${caps}, ${filter}, no_new_privs ${s.noNewPrivs ? "on" : "OFF"}`;
}

/**
 * Starts one sandbox container as every episode gets it and reads, from inside, what an operator exec
 * (uid 1000) and a checker exec (root) hold; the container is removed afterwards.
 */
export async function probeSandbox(
  engine: DockerEngine,
  image: SandboxImage,
  limits: ShellConfig["sandbox"],
  signal: AbortSignal,
): Promise<{ operator: ExecSecurity; checker: ExecSecurity }> {
  await using box = await Sandbox.start(engine, image, limits, signal);
  const read = async (user?: string): Promise<ExecSecurity> => {
    const r = await box.exec(["cat", "/proc/self/status"], { maxOutput: 16_384, timeoutMs: 10_000, ...(user ? { user } : {}) });
    return parseStatus(r.stdout);
  };
  return { operator: await read(), checker: await read("0:0") };
}

/** The engine's user-namespace remapping, from `docker info`'s security options. */
export async function usernsRemap(engine: DockerEngine): Promise<boolean> {
  const info = (await engine.call("an info request", () => engine.docker.info())) as { SecurityOptions?: string[] };
  return (info.SecurityOptions ?? []).some((o) => o.includes("name=userns"));
}

/** The seccomp profile in one line: how many calls it allows, and the ones it refuses that reach past a container. */
export function describeProfile(): string {
  const shown = ["open_by_handle_at", "name_to_handle_at", "keyctl", "ptrace", "mount", "umount2", "unshare", "setns", "bpf", "userfaultfd", "perf_event_open"];
  const denied = shown.filter((n) => (DENIED_SYSCALLS as readonly string[]).includes(n));
  return `seccomp: sekft's own profile (${allowedSyscalls().length} calls allowed, all else EPERM; refused whatever the capabilities: ${denied.join(", ")}, …)`;
}
