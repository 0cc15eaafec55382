// What a witness dataset's answers present as real: reads chat JSONL files (e.g. a gen run's train and valid) and
// prints how many questions and answers hold a placeholder a reader could take for text to fill in
// (`troubleshoot.ts` `PLACEHOLDER`), and how many answers copy a file from `reports/` into the step without a
// sentence introducing it as staged or written by hand, or built here by a named tool (`setups.ts` `intro`), or
// that call such a file the step's own output (troubleshoot answers, which give the user's script back corrected
// without explaining its parts, introduce nothing and are only checked for the latter).
// Run: bun bench/witness-honesty.ts FILE.jsonl [FILE.jsonl ...]
import { streamJsonl } from "../src/dataset/jsonl.ts";
import { proseOf } from "../src/witness/lengths.ts";
import { PLACEHOLDER } from "../src/witness/troubleshoot.ts";

type Line = { messages: { role: string; content: string }[] };
let answers = 0;
let placeholders = 0;
let copied = 0;
let unintroduced = 0;
let calledProduced = 0;
const examples: string[] = [];
for (const file of process.argv.slice(2)) {
  for await (const r of streamJsonl(file)) {
    const m = (r.value as Line).messages;
    const question = m.find((x) => x.role === "user")!.content;
    const answer = m.find((x) => x.role === "assistant")!.content;
    answers += 1;
    if (PLACEHOLDER.test(question) || PLACEHOLDER.test(answer)) {
      placeholders += 1;
      examples.push(`${file}:${r.line}: placeholder ${(PLACEHOLDER.exec(question) ?? PLACEHOLDER.exec(answer))![0]}`);
    }
    const prose = proseOf(answer);
    // A troubleshoot answer gives the user's own script back corrected, its parts without prose: it introduces nothing.
    const explained = !answer.includes("**The corrected script.**");
    for (const [, name] of answer.matchAll(/cp \.\.\/\.\.\/reports\/(\S+?) /g)) {
      copied += 1;
      const intro = new RegExp(`\`${name!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\` is ([^.]*)`).exec(prose)?.[1] ?? "";
      if (explained && !/staged by hand|written by hand|built here with/.test(intro)) {
        unintroduced += 1;
        examples.push(`${file}:${r.line}: ${name} introduced as "${intro}"`);
      }
      if (new RegExp(`(report|output|file) the step (produced|wrote|made)[^.]*${name}|${name}[^.]*(produced|generated) by the step`).test(prose)) {
        calledProduced += 1;
        examples.push(`${file}:${r.line}: ${name} called the step's output`);
      }
    }
  }
}
console.log(
  `${answers} answers: ${placeholders} with a placeholder; ${copied} staged-file copies, ${unintroduced} not introduced as staged or built here, ${calledProduced} called the step's output`,
);
for (const e of examples.slice(0, 20)) console.log(`  ${e}`);
