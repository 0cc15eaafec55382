import { describe, expect, test } from "bun:test";
import { commandOf } from "../../src/rollout/reply.ts";

const MAX = 4096;
const cmd = (reply: string) => commandOf(reply, MAX);

describe("commandOf: one command per reply", () => {
  test("prose around a fence: the block's command, the prose ignored", () => {
    expect(cmd("Let me look around first.\n```sh\nls -la ~\n```\nThis lists the home directory.")).toEqual({
      cmd: "ls -la ~",
      fenced: true,
      lang: "sh",
      dropped: 0,
    });
  });

  test("several commands in one fence: the first runs, the rest are counted as dropped", () => {
    expect(cmd("```bash\ncat /etc/motd\nls /var/spool\nqueue --help\n```")).toEqual({ cmd: "cat /etc/motd", fenced: true, lang: "bash", dropped: 2 });
  });

  test("an && chain on one line is one command, kept whole", () => {
    expect(cmd("```sh\ncd ~/inbox && tar -czf out.tgz a b && ls -l out.tgz\n```")).toMatchObject({
      cmd: "cd ~/inbox && tar -czf out.tgz a b && ls -l out.tgz",
      dropped: 0,
    });
  });

  test("a chain continued on the next line after && or | is still one command", () => {
    expect(cmd("```sh\ncd ~/inbox &&\n  ls -l\nexit\n```")).toMatchObject({ cmd: "cd ~/inbox &&\n  ls -l", dropped: 1 });
    expect(cmd("```\ncat log |\n grep err\n```")).toMatchObject({ cmd: "cat log |\n grep err", dropped: 0 });
  });

  test("a `$ ` prompt prefix is removed; lines without it are imagined output, not commands", () => {
    expect(cmd("```console\n$ queue --help\nusage: queue [list|done]\n```")).toEqual({ cmd: "queue --help", fenced: true, lang: "console", dropped: 0 });
    expect(cmd("```\n$ ls\na b\n$ cat a\n```")).toMatchObject({ cmd: "ls", dropped: 1 });
  });

  test("comments and blank lines before the command are skipped", () => {
    expect(cmd("```sh\n# read the announcement\n\ncat /etc/motd # first\n```")).toMatchObject({ cmd: "cat /etc/motd # first", dropped: 0 });
  });

  test("backslash continuations, quotes, here-documents and compound commands span lines", () => {
    expect(cmd("```sh\ntar -czf out.tgz \\\n  a b\nls\n```")).toMatchObject({ cmd: "tar -czf out.tgz \\\n  a b", dropped: 1 });
    expect(cmd("```sh\necho 'line one\nline two' > f\nexit\n```")).toMatchObject({ cmd: "echo 'line one\nline two' > f", dropped: 1 });
    expect(cmd("```sh\ncat > notes.txt <<'EOF'\nls\nexit\nEOF\nexit\n```")).toMatchObject({ cmd: "cat > notes.txt <<'EOF'\nls\nexit\nEOF", dropped: 1 });
    expect(cmd('```sh\nfor f in *.log; do\n  gzip "$f"\ndone\nexit\n```')).toMatchObject({ cmd: 'for f in *.log; do\n  gzip "$f"\ndone', dropped: 1 });
    expect(cmd("```sh\nif [ -f a ]; then\n  rm a\nfi\n```")).toMatchObject({ cmd: "if [ -f a ]; then\n  rm a\nfi", dropped: 0 });
    expect(cmd('```sh\ncase "$x" in\n a) echo a;;\nesac\n```')).toMatchObject({ cmd: 'case "$x" in\n a) echo a;;\nesac', dropped: 0 });
    expect(cmd("```sh\necho $(date) done\nls\n```")).toMatchObject({ cmd: "echo $(date) done", dropped: 1 });
  });

  test("words that look like reserved words but are arguments do not open anything", () => {
    expect(cmd("```sh\necho if for while\nls\n```")).toMatchObject({ cmd: "echo if for while", dropped: 1 });
  });

  test("no fence: the whole reply's lines by the same rule, leading prose and inline code spans handled", () => {
    expect(cmd("queue list")).toEqual({ cmd: "queue list", fenced: false, lang: "", dropped: 0 });
    expect(cmd("  $ exit\n")).toMatchObject({ cmd: "exit", fenced: false });
    expect(cmd("Sure! I will read the docs.\n`queue --help`")).toMatchObject({ cmd: "queue --help", dropped: 0 });
    expect(cmd("ls\ncat /etc/motd")).toMatchObject({ cmd: "ls", dropped: 1 });
    expect(cmd('panic "the archive tool is missing"')).toMatchObject({ cmd: 'panic "the archive tool is missing"' });
  });

  test("a reply cut inside its fence still gives its command", () => {
    expect(cmd("Reading the docs:\n```sh\nman queue\n")).toMatchObject({ cmd: "man queue", fenced: true });
  });

  test("an empty fence is skipped for the next one that holds a command", () => {
    expect(cmd("```\n\n```\nthen\n```sh\nls\n```")).toMatchObject({ cmd: "ls" });
  });

  test("an empty reply, a whitespace reply and a prose-only reply hold no command", () => {
    expect(cmd("")).toEqual({ invalid: "the reply holds no command" });
    expect(cmd("  \n\t\n")).toEqual({ invalid: "the reply holds no command" });
    expect(cmd("I think I should look around.\nThen I will decide.")).toEqual({ invalid: "the reply holds no command" });
    expect(cmd("```sh\n# nothing to do\n```")).toEqual({ invalid: "the reply holds no command" });
  });

  test("a command longer than the cap is refused", () => {
    expect(commandOf(`echo ${"x".repeat(100)}`, 16)).toEqual({ invalid: "the command is longer than 16 bytes" });
  });
});
