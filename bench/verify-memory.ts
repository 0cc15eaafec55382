// Peak RSS of `stats` and `verify --sample 5` on a large chat JSONL (default 1,000,000 lines of ~4.8 kB, the
// size of our own answers), measured with /usr/bin/time (%M). Usage: bun bench/verify-memory.ts [LINES] [FILE]
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";

const lines = Number(process.argv[2] ?? 1_000_000);
const file = process.argv[3] ?? `.bench/verify-memory-${lines}.jsonl`;
const sekft = existsSync("dist/sekft") ? ["dist/sekft"] : [process.execPath, "src/cli.ts"];

function record(i: number): string {
  const prose = `Step ${i}: this paragraph explains what the next block does and why, as a tutorial would. `.repeat(12);
  const answer = [
    prose,
    "```sh",
    `mkdir -p keys att && openssl genpkey -algorithm ed25519 -out keys/k${i}.key`,
    "openssl pkey -in keys/k.key -pubout -out keys/k.pub",
    `printf 'artifact ${i}\\n' > artifact.txt`,
    "witness run -s build -k keys/k.key -o att/build.json -- sh -c 'cat artifact.txt'",
    "```",
    prose,
    "```json",
    `{"expires": "2099-12-31T23:59:59Z", "steps": {"build": {"name": "build", "attestations": []}}, "n": ${i}}`,
    "```",
    prose,
    "```sh",
    "witness verify -p policy.signed.json -k keys/policy.pub -a att/build.json -f artifact.txt",
    "```",
  ].join("\n");
  return `${JSON.stringify({
    messages: [
      { role: "system", content: "You are a supply-chain security engineer." },
      { role: "user", content: `How do I attest build ${i % 5000} with witness and verify it?` },
      { role: "assistant", content: answer },
    ],
  })}\n`;
}

if (!existsSync(file)) {
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(`${file}.partial`, "w");
  let batch = "";
  for (let i = 0; i < lines; i++) {
    batch += record(i);
    if (batch.length > 1 << 22) {
      writeSync(fd, batch);
      batch = "";
    }
  }
  writeSync(fd, batch);
  closeSync(fd);
  renameSync(`${file}.partial`, file);
}
console.log(`${file}: ${lines} lines, ${(statSync(file).size / 1e6).toFixed(0)} MB; sekft = ${sekft.join(" ")}`);

const report = `${file}.time`;
for (const args of [
  ["stats", file],
  ["verify", file, "--sample", "5", "--seed", "7"],
]) {
  const started = performance.now();
  Bun.spawnSync(["/usr/bin/time", "-o", report, "-f", "%M %x", ...sekft, ...args], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      NO_COLOR: "1",
      ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
    },
    stdout: "ignore",
    stderr: "ignore",
  });
  const [kb, status] = readFileSync(report, "utf8").trim().split("\n").at(-1)!.split(" ");
  console.log(
    `sekft ${args.join(" ").replace(file, "FILE").padEnd(32)} peak RSS ${(Number(kb) / 1024).toFixed(0)} MB  ${((performance.now() - started) / 1000).toFixed(0)} s  exit ${status}`,
  );
}
