import { expect, test } from "bun:test";
import { parseShell, ShellSyntaxError, simpleCommandProblem } from "../../src/proc/shell.ts";
import { diagnose } from "../../src/witness/diagnose.ts";
import { shadowedTool, splitFinal } from "../../src/witness/script.ts";

test("commands as the shell reads them: continuations, quotes, here-documents (with \\ inside), && chains, comments", () => {
  const script = [
    "# a comment that says witness() { :; } and PATH=/tmp",
    "cat > rego/deny.rego <<'EOF'",
    "package deny \\",
    'msg := "a\\\\b"',
    "EOF",
    "mkdir -p keys && openssl genpkey -algorithm ed25519 \\",
    "  -out 'keys/my key.pem' # trailing comment",
    'echo "say \\"hi\\"" it\\\'s > notes.txt',
    "witness verify \\",
    "  --policy policy.signed.json \\",
    "  -f out.txt",
  ].join("\n");
  const cmds = parseShell(script).commands();
  expect(cmds.map((c) => [c.line, c.words])).toEqual([
    [2, ["cat"]],
    [6, ["mkdir", "-p", "keys"]],
    [6, ["openssl", "genpkey", "-algorithm", "ed25519", "-out", "keys/my key.pem"]],
    [8, ["echo", 'say "hi"', "it's"]],
    [9, ["witness", "verify", "--policy", "policy.signed.json", "-f", "out.txt"]],
  ]);
  expect(cmds[0]!.redirs).toEqual([
    { op: ">", word: "rego/deny.rego" },
    { op: "<<", word: "EOF" },
  ]);
  expect(cmds[3]!.redirs).toEqual([{ op: ">", word: "notes.txt" }]);
  // A word that expands at run time has no static value.
  expect(parseShell('witness sign -k "$KEY" -f $(ls p*)').commands()[0]!.words).toEqual(["witness", "sign", "-k", undefined, "-f", undefined]);
  // The heredoc body is data: neither a function nor a PATH assignment, and the comment neither.
  expect(shadowedTool(script)).toBeUndefined();
  const { prefix, final } = splitFinal(script);
  expect(final).toBe("witness verify \\\n  --policy policy.signed.json \\\n  -f out.txt");
  expect(prefix).toBe(script.slice(0, script.indexOf("witness verify")).trimEnd());
  expect(simpleCommandProblem(final)).toBeUndefined();
});

test("a syntax error names its line and column; the runner's final split refuses to guess", () => {
  const bad = "echo ok\nif true; then\n  echo 'never closed\n";
  expect(() => parseShell(bad)).toThrow(ShellSyntaxError);
  const error = (() => {
    try {
      parseShell("echo ok\nfor x in a b; do\n  echo $x\n");
    } catch (e) {
      return e;
    }
  })();
  expect(error).toBeInstanceOf(ShellSyntaxError);
  expect((error as ShellSyntaxError).line).toBe(2);
  expect((error as ShellSyntaxError).message).toMatch(/^line 2, column 1: .*done/);
  expect(() => splitFinal(bad)).toThrow(/line \d+, column \d+/);
  // bash syntax is refused as sh, read as bash.
  expect(() => parseShell("a=(1 2)\n")).toThrow(ShellSyntaxError);
  expect(parseShell("a=(1 2)\n", "bash").statements).toHaveLength(1);
});

test("the final statement: after && it is the whole list; a here-document body after it keeps its statement whole", () => {
  expect(splitFinal("make && witness verify -p p\n").final).toBe("make && witness verify -p p");
  expect(splitFinal("make; witness verify -p p\n")).toEqual({ prefix: "make;", final: "witness verify -p p" });
  expect(splitFinal("cat <<EOF; witness verify -p p\nbody\nEOF\n").final).toStartWith("cat <<EOF;");
  expect(splitFinal("# only a comment\n\n")).toEqual({ prefix: "# only a comment\n\n", final: "" });
});

test("shadowing is read from commands: functions, aliases, PATH assignments (export, env prefix, in a chain), eval of literals", () => {
  expect(shadowedTool("witness() { :; }\n")).toBe("defines a function named witness");
  expect(shadowedTool("function git { :; }\n", "bash")).toBe("defines a function named git");
  expect(shadowedTool("alias -p openssl='true'\n")).toBe("makes openssl an alias");
  expect(shadowedTool("mkdir x && PATH=$PWD/x:$PATH\n")).toBe("assigns PATH");
  expect(shadowedTool("export PATH=/tmp\n")).toBe("assigns PATH");
  expect(shadowedTool("PATH=/tmp witness verify\n")).toBe("assigns PATH");
  expect(shadowedTool("unset PATH\n")).toBe("unsets PATH");
  expect(shadowedTool("hash -p /tmp/w witness\n")).toBe("changes how commands are found (hash -p)");
  expect(shadowedTool("eval 'witness() { :; }'\n")).toBe("defines a function named witness");
  expect(shadowedTool("echo 'PATH=/tmp witness() {}' > notes.txt\nexport GOPATH=/x\n")).toBeUndefined();
});

test("diagnoses follow the failure: an unknown flag before the missing file it left unwritten, files read over continuation lines", () => {
  const script = [
    "openssl genpkey -algorithm ed25519 -out key.pem",
    "witness sign --signer-file-key-path key.pem \\",
    "  --infile policy.json \\",
    "  --out-file policy-signed.json",
    "witness verify \\",
    "  --policy policy-signed.json \\",
    "  -f output.txt",
  ].join("\n");
  const answer = `Policy:\n\`\`\`json\n{"expires": "2099-01-01T00:00:00Z"}\n\`\`\`\n\`\`\`bash\n${script}\n\`\`\`\n`;
  const flags = { sign: new Set(["-k", "--signer-file-key-path", "-f", "--infile", "-o", "--outfile"]), verify: new Set(["-p", "--policy", "-f"]) };
  const d = diagnose(answer, script, "open policy.json: no such file or directory\npolicy-signed.json", {
    now: new Date("2030-01-01"),
    horizonDays: 30,
    flags,
    lang: "bash",
  });
  expect(d.map((x) => [x.code, x.line])).toEqual([
    ["unknown-flag", 2],
    ["missing-file", 2],
    ["missing-file", 5],
  ]);
  expect(d[1]!.message).toBe(
    "policy.json is used (script line 2: `witness sign --signer-file-key-path key.pem --infile policy.json --out-file policy-signed.json`) but never created; the text shows it only as a ```json block, never written by the script",
  );
  // A script that does not parse has no command to blame: the runner names the syntax error.
  expect(diagnose("", "if true; then\n", "x", { now: new Date(), horizonDays: 1, flags })).toEqual([]);
});
