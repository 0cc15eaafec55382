import { expect, test } from "bun:test";
import { hostnameOf, sandboxSpec } from "../../src/sandbox/container.ts";
import { allowedSyscalls, DENIED_SYSCALLS, seccompProfile, securityOptions } from "../../src/sandbox/seccomp.ts";

const ISSUE_19 = [
  "open_by_handle_at",
  "name_to_handle_at",
  "keyctl",
  "add_key",
  "request_key",
  "ptrace",
  "mount",
  "umount2",
  "unshare",
  "setns",
  "bpf",
  "userfaultfd",
  "perf_event_open",
];

test("the profile denies every call that reaches past the container, and allows none of them by any rule", () => {
  for (const name of ISSUE_19) expect(DENIED_SYSCALLS as readonly string[]).toContain(name);
  const allowed = new Set(allowedSyscalls());
  for (const name of DENIED_SYSCALLS) expect(allowed.has(name), name).toBe(false);
  expect(seccompProfile()).toMatchObject({ defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1 });
});

test("clone is allowed only without namespace flags", () => {
  const clone = seccompProfile().syscalls.find((r) => r.names.includes("clone"))!;
  expect(clone.args).toEqual([{ index: 0, value: 0x7e020000, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }]);
});

test("every sandbox container gets the profile and no capability that reaches the host", () => {
  const host = sandboxSpec({ tag: "t", id: "sha256:0" } as never, { memory_mb: 1, pids_limit: 1, cpus: 1, disk_mb: 1, lifetime_s: 1 }, {}).HostConfig!;
  expect(host.SecurityOpt).toEqual(securityOptions());
  expect(host.CapDrop).toEqual(["ALL"]);
  for (const cap of ["DAC_READ_SEARCH", "SYS_ADMIN", "SYS_PTRACE"]) expect(host.CapAdd ?? []).not.toContain(cap);
});

test("the container's host name is the scenario's HOSTNAME when it is one DNS label, else sandbox", () => {
  const spec = (env: Record<string, string>) =>
    sandboxSpec({ tag: "t", id: "sha256:0" } as never, { memory_mb: 1, pids_limit: 1, cpus: 1, disk_mb: 1, lifetime_s: 1 }, {}, env);
  expect(spec({ HOSTNAME: "relay-12" }).Hostname).toBe("relay-12");
  expect(hostnameOf({})).toBe("sandbox");
  for (const bad of ["Relay", "a.b", "-x", "x-", "a b", "x\ny", "a".repeat(64), ""]) expect(hostnameOf({ HOSTNAME: bad })).toBe("sandbox");
});
