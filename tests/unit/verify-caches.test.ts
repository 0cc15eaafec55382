import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCaches, cacheEnv } from "../../src/proc/isolate.ts";

test("build caches are found where the tools look, only when they exist, and never a credentials file", () => {
  const home = mkdtempSync(join(tmpdir(), "sekft-caches-"));
  expect(buildCaches({ HOME: home })).toEqual([]);
  for (const d of [".cache/go-build", "go/pkg/mod", ".npm/_cacache", ".m2/repository"]) mkdirSync(join(home, d), { recursive: true });
  writeFileSync(join(home, ".npmrc"), "//registry/:_authToken=secret\n");
  expect(buildCaches({ HOME: home }).map((c) => [c.name, c.host.slice(home.length)])).toEqual([
    ["go-build", "/.cache/go-build"],
    ["go-mod", "/go/pkg/mod"],
    ["npm/_cacache", "/.npm/_cacache"],
    ["m2", "/.m2/repository"],
  ]);
  // The tools' own variables win; a relative or missing path is no cache.
  const own = join(home, "gocache");
  mkdirSync(own);
  expect(buildCaches({ HOME: home, GOCACHE: own, GOMODCACHE: "rel/mod" }).map((c) => c.name)).toEqual(["go-build", "npm/_cacache", "m2"]);
  expect(buildCaches({ HOME: home, GOCACHE: own })[0]).toEqual({ name: "go-build", host: own });
  expect(buildCaches({ HOME: "/" })).toEqual([]);
});

test("the cache variables point at the read-only mounts; npm logs and nothing else go to the writable home", () => {
  const env = cacheEnv(
    [
      { name: "go-build", host: "/h/.cache/go-build" },
      { name: "go-mod", host: "/h/go/pkg/mod" },
      { name: "npm/_cacache", host: "/h/.npm/_cacache" },
      { name: "m2", host: "/h/.m2/repository" },
    ],
    "/opt/sekft-cache",
    "/home/op",
  );
  expect(env).toEqual({
    GOCACHE: "/opt/sekft-cache/go-build",
    GOMODCACHE: "/opt/sekft-cache/go-mod",
    GOPROXY: "off",
    npm_config_cache: "/opt/sekft-cache/npm",
    npm_config_logs_dir: "/home/op/.npm-logs",
    npm_config_update_notifier: "false",
    MAVEN_ARGS: "-o -Dmaven.repo.local=/opt/sekft-cache/m2",
  });
});
