import { posix } from "node:path";
import { packEntries, OP_UID, type RootEntry } from "./rootfs.ts";
import { WRITABLE_ROOTS } from "./container.ts";

/** A file or directory a scenario installs before the episode (already validated). */
export interface FixtureFile {
  path: string;
  type: "file" | "dir";
  content?: string;
  mode: number;
  owner: "op" | "root";
}

/** The writable root a path lives under, or undefined when it is outside them all. */
export function rootOf(path: string): string | undefined {
  return WRITABLE_ROOTS.find((root) => path.startsWith(`${root}/`));
}

/** Packs fixtures into one in-memory tar per writable root; parent directories are created as needed. */
export async function packFixtures(fixtures: FixtureFile[]): Promise<Map<string, Buffer>> {
  const byRoot = new Map<string, Map<string, RootEntry>>();
  for (const f of fixtures) {
    const root = rootOf(f.path);
    if (!root) throw new Error(`fixture ${f.path} is outside the writable roots`);
    const entries = byRoot.get(root) ?? new Map<string, RootEntry>();
    byRoot.set(root, entries);
    const rel = posix.relative(root, f.path);
    const defaultUid = root === "/home/op" ? OP_UID : 0;
    const parts = rel.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (!entries.has(dir)) entries.set(dir, { name: dir, type: "directory", mode: 0o755, uid: defaultUid });
    }
    const uid = f.owner === "op" ? OP_UID : 0;
    entries.set(
      rel,
      f.type === "dir" ? { name: rel, type: "directory", mode: f.mode, uid } : { name: rel, type: "file", mode: f.mode, uid, content: f.content ?? "" },
    );
  }
  const out = new Map<string, Buffer>();
  for (const [root, entries] of byRoot) {
    // Directories before their contents, so explicit modes are not clobbered by implicit parents.
    const sorted = [...entries.values()].sort((a, b) => a.name.split("/").length - b.name.split("/").length || a.name.localeCompare(b.name));
    out.set(root, await packEntries(sorted));
  }
  return out;
}
