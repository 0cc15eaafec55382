import { expect, test } from "bun:test";
import { operatorMessages, saidAs } from "../../src/rollout/reply.ts";

test("the operator's transcript is turns: scaffold, login, then each command as an assistant turn and its screen as the next user turn", () => {
  const messages = operatorMessages("SCAFFOLD", "Welcome.\n$ ", [
    { said: "```sh\ncat /etc/motd\n```", screen: "Directives pending: see queue.\n$ " },
    { said: "queue --help", screen: "usage: queue list\n$ " },
  ]);
  expect(messages).toEqual([
    { role: "system", content: "SCAFFOLD" },
    { role: "user", content: "Welcome.\n$ " },
    { role: "assistant", content: "```sh\ncat /etc/motd\n```" },
    { role: "user", content: "Directives pending: see queue.\n$ " },
    { role: "assistant", content: "queue --help" },
    { role: "user", content: "usage: queue list\n$ " },
  ]);
  // Never one user message holding the history.
  expect(messages.filter((m) => m.role === "user").every((m) => !String(m.content).includes("cat /etc/motd"))).toBe(true);
});

test("the first request is the scaffold and the login screen only", () => {
  expect(operatorMessages("S", "$ ", [])).toEqual([
    { role: "system", content: "S" },
    { role: "user", content: "$ " },
  ]);
});

test("a command is sent back in the reply's own form: the fence with its language, or bare; a fence longer than any backtick run in it", () => {
  expect(saidAs({ cmd: "ls", fenced: true, lang: "bash" })).toBe("```bash\nls\n```");
  expect(saidAs({ cmd: "ls", fenced: false, lang: "" })).toBe("ls");
  expect(saidAs({ cmd: "echo ```", fenced: true, lang: "" })).toBe("````\necho ```\n````");
});
