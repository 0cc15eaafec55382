import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostMounts } from "../../src/sandbox/verify-box.ts";

test("a mount glob from config text cannot reach the home: what it names is refused like an explicit entry", () => {
  const dir = mkdtempSync(join(tmpdir(), "sekft-mount-home-"));
  const home = join(dir, "root");
  for (const d of ["root", "rootfs-tools", "opt"]) mkdirSync(join(dir, d));
  const limits = { mounts: [`${dir}/ro*`, `${dir}/*`] } as unknown as Parameters<typeof hostMounts>[0];
  const { mounts } = hostMounts(limits, home);
  expect(mounts).toContain(join(dir, "rootfs-tools"));
  expect(mounts).toContain(join(dir, "opt"));
  expect(mounts).not.toContain(home);
  // The home's parent would expose it too.
  expect(hostMounts({ mounts: [`${tmpdir()}/sekft-mount-home-*`] } as never, home).mounts).not.toContain(dir);
  rmSync(dir, { recursive: true, force: true });
});
