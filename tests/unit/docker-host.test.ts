import { expect, test } from "bun:test";
import { dockerEndpoint } from "../../src/doctor/docker-ping.ts";
import { parseDockerHost } from "../../src/sandbox/docker-host.ts";
import { dockerTarget } from "../../src/sandbox/docker.ts";

test("one DOCKER_HOST parser: the engine wrapper and doctor agree on every form", () => {
  const cases: [string | undefined, string][] = [
    [undefined, "unix:///var/run/docker.sock"],
    ["unix:///tmp/d.sock", "unix:///tmp/d.sock"],
    ["tcp://10.0.0.5", "tcp://10.0.0.5"],
    ["tcp://engine:2376", "tcp://engine:2376"],
  ];
  for (const [raw, where] of cases) {
    const env = { DOCKER_HOST: raw };
    expect(parseDockerHost(env).where).toBe(where);
    expect(dockerTarget(env).where).toBe(where);
    expect(dockerEndpoint(env).label).toBe(where);
  }
  expect(dockerTarget({ DOCKER_HOST: "tcp://10.0.0.5" }).opts).toMatchObject({ host: "10.0.0.5", port: 2375 });
  expect(dockerEndpoint({ DOCKER_HOST: "tcp://10.0.0.5" }).url).toBe("http://10.0.0.5:2375");
});

test("an unsupported DOCKER_HOST is refused with its value, not guessed at", () => {
  expect(() => parseDockerHost({ DOCKER_HOST: "ssh://me@host" })).toThrow(/DOCKER_HOST=ssh:\/\/me@host: unsupported scheme/);
  expect(() => parseDockerHost({ DOCKER_HOST: "unix://relative.sock" })).toThrow(/absolute path/);
});
