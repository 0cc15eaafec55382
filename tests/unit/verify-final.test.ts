import { expect, test } from "bun:test";
import { simpleCommandProblem } from "../../src/proc/shell.ts";
import { splitFinal } from "../../src/witness/script.ts";

test("the final command is the last logical line: a witness verify continued over several lines is one command", () => {
  const script = "make\nwitness verify \\\n  -p policy.signed.json \\\n  -k policy.pub \\\n  -f out.txt\n\n# done\n";
  expect(splitFinal(script)).toEqual({ prefix: "make", final: "witness verify \\\n  -p policy.signed.json \\\n  -k policy.pub \\\n  -f out.txt" });
  expect(simpleCommandProblem(splitFinal(script).final)).toBeUndefined();
  // An escaped backslash at a line's end is no continuation.
  expect(splitFinal("echo a\\\\\nwitness verify -p p").final).toBe("witness verify -p p");
  // A continuation into the final line makes it an argument of the command before: not a witness verify.
  expect(splitFinal("echo ok; : \\\nwitness verify -p p").final).toBe(": \\\nwitness verify -p p");
});

test("the final command must be one simple command", () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, not a template
  expect(simpleCommandProblem('witness verify -p "$P" -k ${K} -f out.txt # comment; ok')).toBeUndefined();
  expect(simpleCommandProblem("witness verify -p p || true")).toBe("it holds the operator ||");
  expect(simpleCommandProblem("witness verify -p p; echo ok")).toBe("it holds the operator ;");
  expect(simpleCommandProblem("witness verify -p $(cat p)")).toBe("it substitutes a command");
  expect(simpleCommandProblem('witness verify -p "`cat p`"')).toBe("it substitutes a command");
  expect(simpleCommandProblem("witness verify -p p 2>/dev/null")).toBe("it redirects");
  expect(simpleCommandProblem("witness verify -p 'a;b|c'")).toBeUndefined();
  expect(simpleCommandProblem("witness verify -p p \\")).toBe("it ends with a backslash");
  expect(simpleCommandProblem("witness verify -p p\necho forged")).toBe("it spans lines without a backslash");
  expect(simpleCommandProblem("witness verify -p 'p")).toBe("a quote is not closed");
});
