import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCaches, cacheEnv } from "../../src/proc/isolate.ts";

test("build caches are found where the tools look, only when they exist, and never a credentials file", () => {
  const home = mkdtempSync(join(tmpdir(), "sekft-caches-"));
  expect(buildCaches({ HOME: home })).toEqual([]);
  for (const d of [".cache/go-build", "go/pkg/mod", ".npm/_cacache", ".m2/repository"]) mkdirSync(join(home, d), { recursive: true });
  // Only Go's caches: npm cannot work from a read-only cache, Maven's is not offered.
  expect(buildCaches({ HOME: home }).map((c) => [c.name, c.host.slice(home.length)])).toEqual([
    ["go-build", "/.cache/go-build"],
    ["go-mod", "/go/pkg/mod"],
  ]);
  expect(buildCaches({ HOME: home, XDG_CACHE_HOME: join(home, "nowhere"), GOPATH: `${join(home, "go")}:/other` }).map((c) => c.name)).toEqual(["go-mod"]);
  // The tools' own variables win; a relative or missing path is no cache.
  const own = join(home, "gocache");
  mkdirSync(own);
  expect(buildCaches({ HOME: home, GOCACHE: own, GOMODCACHE: "rel/mod" }).map((c) => c.name)).toEqual(["go-build"]);
  expect(buildCaches({ HOME: home, GOCACHE: own })[0]).toEqual({ name: "go-build", host: own });
  expect(buildCaches({ HOME: "/" })).toEqual([]);
});

test("the cache variables point Go at the read-only mounts, and only at those there are", () => {
  const both = [
    { name: "go-build", host: "/h/.cache/go-build" },
    { name: "go-mod", host: "/h/go/pkg/mod" },
  ] as const;
  expect(cacheEnv([...both], "/opt/sekft-cache")).toEqual({ GOCACHE: "/opt/sekft-cache/go-build", GOMODCACHE: "/opt/sekft-cache/go-mod", GOPROXY: "off" });
  expect(cacheEnv([both[0]], "/run/caches")).toEqual({ GOCACHE: "/run/caches/go-build" });
  expect(cacheEnv([], "/x")).toEqual({});
});
