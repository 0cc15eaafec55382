// needs: witness docker
import { expect } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binCommand, cleanEnv, ROOT } from "../helpers/cli.ts";
import { dockerPresent, testWith, witnessBin } from "../helpers/deps.ts";

const HAVE = Boolean(witnessBin()) && dockerPresent();

/** The peak resident set (VmHWM, kB) of a live process, or 0 once it is gone. */
function peakKb(pid: number): number {
  try {
    return Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

// Issue 20, item 4: verify --sandbox read the container's whole log into memory (300 MB of output -> 1.04 GB RSS).
testWith(
  HAVE,
  "verify --sandbox keeps only the tail of a script's output: 300 MB on stdout and stderr leave sekft's memory flat",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "sekft-flood-"));
    const file = join(dir, "flood.jsonl");
    const flood = "head -c 150000000 /dev/zero | tr '\\\\0' x; head -c 150000000 /dev/zero | tr '\\\\0' y >&2; false";
    const answer = `\`\`\`sh\n${flood}\nwitness verify -p p.json -k k.pub -a a.json -f f\n\`\`\`\n`;
    writeFileSync(
      file,
      `${JSON.stringify({
        messages: [
          { role: "user", content: "q" },
          { role: "assistant", content: answer },
        ],
      })}\n`,
    );
    const proc = Bun.spawn([...binCommand(), "verify", file, "--sandbox", "--json"], { cwd: ROOT, env: cleanEnv(), stdout: "pipe", stderr: "pipe" });
    let peak = 0;
    const poll = setInterval(() => {
      peak = Math.max(peak, peakKb(proc.pid));
    }, 50);
    const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    clearInterval(poll);
    expect(code).toBe(1);
    const result = JSON.parse(stdout.split("\n")[0]!) as { ok: boolean; reason: string };
    expect(result.ok).toBe(false);
    expect(peak).toBeGreaterThan(0);
    // The run's own footprint (Bun, dockerode) is ~150 MB here; the whole log would add 300 MB or more.
    expect(peak / 1024).toBeLessThan(300);
  },
  300_000,
);
