import Docker from "dockerode";
import { startedPids } from "./cli.ts";
import { requireNeed } from "./needs.ts";

const docker = new Docker();

/**
 * sekft's containers of one process, or of every sekft this test file started with runCli: never the whole engine,
 * which other test groups and other runs share.
 */
export async function labelled(pid?: number): Promise<number> {
  requireNeed("docker");
  const pids = new Set(pid ? [String(pid)] : [...startedPids].map(String));
  const all = await docker.listContainers({ all: true, filters: { label: ["sekft=1"] } });
  return all.filter((c) => pids.has(c.Labels["sekft.pid"] ?? "")).length;
}
