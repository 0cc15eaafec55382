import { InputError } from "../errors.ts";
import { isObject, readJsonExact, type JsonValue } from "./parse.ts";
import { checkGates, checkNonNegative, checkPrivacy, checkSummary, checkTimes, RULES, type Finding } from "./rules.ts";
import { validateSchema } from "./schema.ts";

export interface CheckResult {
  file: string;
  /** "ok": every rule holds; "failed": a rule failed (exit 1); "unreadable": not JSON, missing (exit 2). */
  status: "ok" | "failed" | "unreadable";
  findings: Finding[];
  error?: string;
}

/** Applies the schema, the five consistency rules, the privacy rule and the gate-ordering rule. */
export function checkTrace(doc: JsonValue, privacyKeys: readonly string[]): Finding[] {
  const schema: Finding[] = validateSchema(doc).map((i) => ({ pointer: i.pointer, rule: "schema", message: i.message }));
  if (!isObject(doc)) return schema;
  return [...schema, ...checkSummary(doc), ...checkTimes(doc), ...checkNonNegative(doc), ...checkPrivacy(doc, privacyKeys), ...checkGates(doc)];
}

/** Checks one file; an unreadable file is a result, not an exception, so one bad file does not hide the others. */
export function checkFile(file: string, privacyKeys: readonly string[]): CheckResult {
  let doc: JsonValue;
  try {
    doc = readJsonExact(file);
  } catch (error) {
    if (error instanceof InputError) return { file, status: "unreadable", findings: [], error: error.message };
    throw error;
  }
  const findings = checkTrace(doc, privacyKeys);
  return { file, status: findings.length ? "failed" : "ok", findings };
}

/** 2 if any file was unreadable, else 1 if any rule failed, else 0. */
export function checkExitCode(results: CheckResult[]): number {
  if (results.some((r) => r.status === "unreadable")) return 2;
  return results.some((r) => r.status === "failed") ? 1 : 0;
}

/** Human lines for stderr: one per finding, naming the pointer and the rule. */
export function renderCheck(result: CheckResult): string[] {
  if (result.status === "unreadable") return [`unreadable: ${result.error}`];
  if (result.status === "ok") return [`${result.file}: ok`];
  return [
    `${result.file}: ${result.findings.length} finding${result.findings.length > 1 ? "s" : ""}`,
    ...result.findings.map((f) => `  ${f.pointer}  [${f.rule}: ${RULES[f.rule]}]  ${f.message}`),
  ];
}
