import { createHash } from "node:crypto";
import { readFile, realpath } from "node:fs/promises";
import tar from "tar-stream";
import { DependencyError } from "../errors.ts";
import { runProcess } from "../proc/run.ts";

/** One entry of the sandbox root filesystem. */
export interface RootEntry {
  name: string;
  type: "file" | "directory" | "symlink";
  mode: number;
  uid?: number;
  content?: Uint8Array | string;
  linkname?: string;
}

export const OP_UID = 1000;
export const PATH_VALUE = "/usr/local/bin:/usr/bin:/bin";
const BUSYBOX = "/bin/busybox";
const DASH = "/usr/bin/dash";
// Applets that would shadow dash or make no sense without a kernel of their own.
const SKIP_APPLETS = new Set(["sh", "ash", "hush", "busybox", "linuxrc", "init", "man"]);

// A tiny `man`: busybox has none, and pages here are preformatted text, so cat is enough.
const MAN_SCRIPT = `#!/bin/sh
# man - show a manual page (plain-text pages under /usr/local/share/man and /usr/share/man)
[ $# -ge 1 ] || { echo "What manual page do you want?" >&2; exit 1; }
sec="?"
if [ $# -ge 2 ]; then sec=$1; shift; fi
for dir in /usr/local/share/man /usr/share/man; do
  for page in "$dir"/man$sec/"$1".$sec; do
    if [ -f "$page" ]; then cat "$page"; exit 0; fi
  done
done
echo "No manual entry for $1" >&2
exit 16
`;

const MAN_PAGE = `MAN(1)                        User Commands                        MAN(1)

NAME
       man - show a manual page

SYNOPSIS
       man [SECTION] NAME

DESCRIPTION
       Prints the manual page NAME from /usr/local/share/man or /usr/share/man.
`;

/** Paths of the shared libraries a dynamic executable needs, from ldd. */
async function libraryPaths(bin: string): Promise<string[]> {
  const r = await runProcess(["ldd", bin], { env: { PATH: "/usr/bin:/bin" }, timeoutMs: 10_000 });
  if (r.exitCode !== 0) throw new DependencyError(`cannot list the libraries of ${bin}: ldd exited ${r.exitCode}`);
  const paths = [...r.stdout.matchAll(/(\/\S+)\s+\(0x/g)].map((m) => m[1]!);
  return [...new Set(paths)];
}

/** Busybox applet names, from the static busybox itself. */
async function appletNames(): Promise<string[]> {
  const r = await runProcess([BUSYBOX, "--list"], { env: { PATH: "/usr/bin:/bin" }, timeoutMs: 10_000 });
  if (r.exitCode !== 0) throw new DependencyError(`${BUSYBOX} --list failed`, "Install busybox-static.");
  return r.stdout
    .split("\n")
    .map((s) => s.trim())
    .filter((s) => s && !SKIP_APPLETS.has(s));
}

async function hostFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(await realpath(path));
  } catch {
    throw new DependencyError(`${path} is missing on this host`, "The offline sandbox needs dash (/usr/bin/dash) and busybox-static (/bin/busybox).");
  }
}

/** The entries of the sandbox root: dash as /bin/sh, busybox applets, a non-root user, man pages. */
export async function rootEntries(): Promise<RootEntry[]> {
  const dir = (name: string, mode = 0o755, uid = 0): RootEntry => ({ name, type: "directory", mode, uid });
  const file = (name: string, content: Uint8Array | string, mode = 0o644): RootEntry => ({ name, type: "file", mode, content });
  const entries: RootEntry[] = [
    ...[
      "bin",
      "etc",
      "lib",
      "lib64",
      "usr",
      "usr/bin",
      "usr/share",
      "usr/share/man",
      "usr/share/man/man1",
      "usr/local",
      "var",
      "run",
      "proc",
      "sys",
      "dev",
      "home",
    ].map((d) => dir(d)),
    dir("tmp", 0o1777),
    dir("root", 0o700),
    dir("home/op", 0o755, OP_UID),
    dir("run/sekft", 0o700, OP_UID),
    file("bin/sh", await hostFile(DASH), 0o755),
    { name: "bin/dash", type: "symlink", mode: 0o777, linkname: "sh" },
    file("bin/busybox", await hostFile(BUSYBOX), 0o755),
    file("usr/bin/man", MAN_SCRIPT, 0o755),
    file("usr/share/man/man1/man.1", MAN_PAGE),
    file("etc/passwd", `root:x:0:0:root:/root:/bin/sh\nop:x:${OP_UID}:${OP_UID}:operator:/home/op:/bin/sh\n`),
    file("etc/group", `root:x:0:\nop:x:${OP_UID}:\n`),
    file("etc/hostname", "sandbox\n"),
    file("etc/os-release", 'PRETTY_NAME="sekft sandbox (dash + busybox)"\nID=sekft\n'),
    // motd lives on the writable /var so that each scenario can install its own.
    { name: "etc/motd", type: "symlink", mode: 0o777, linkname: "/var/run/motd" },
  ];
  const libs = await libraryPaths(DASH);
  const libDirs = new Set<string>();
  for (const lib of libs) {
    const rel = lib.replace(/^\/+/, "");
    const parent = rel.split("/").slice(0, -1).join("/");
    if (parent && !["lib", "lib64"].includes(parent) && !libDirs.has(parent)) {
      libDirs.add(parent);
      entries.push(dir(parent));
    }
    entries.push(file(rel, await hostFile(lib), 0o755));
  }
  for (const applet of await appletNames()) {
    entries.push({ name: `bin/${applet}`, type: "symlink", mode: 0o777, linkname: "busybox" });
  }
  return entries;
}

/** Packs entries into a deterministic tar (fixed mtime), so equal content gives an equal hash. */
export async function packEntries(entries: RootEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const mtime = new Date(0);
  for (const e of entries) {
    const uid = e.uid ?? 0;
    const header = { name: e.name, mode: e.mode, uid, gid: uid, mtime };
    if (e.type === "directory") pack.entry({ ...header, type: "directory" });
    else if (e.type === "symlink") pack.entry({ ...header, type: "symlink", linkname: e.linkname });
    else pack.entry(header, Buffer.from(e.content ?? ""));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The root filesystem as a tar and its content hash. */
export async function buildRootfs(): Promise<{ tar: Buffer; hash: string }> {
  const tarball = await packEntries(await rootEntries());
  return { tar: tarball, hash: createHash("sha256").update(tarball).digest("hex") };
}
