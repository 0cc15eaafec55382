import type { TokenUsage } from "../llm/ledger.ts";
import type { Diagnosis } from "../witness/diagnose.ts";

/** One answer of the model under test, as OUT/answers.jsonl holds it. */
export interface AnswerRecord {
  line: number;
  sample: number;
  /** Null when the endpoint failed (an infra error): not the model's doing, so not scored. */
  ok: boolean | null;
  cause?: string;
  reason?: string;
  failing_command?: string;
  message?: string;
  diagnoses?: Diagnosis[];
  finish_reason?: string | null;
  usage: TokenUsage;
  /** Seconds waiting for the model, and running the answer's script. */
  model_seconds: number;
  run_seconds: number;
  answer?: string;
}

/** Scored answers per question line: n (scored) and c (passed). */
export function perQuestion(records: AnswerRecord[]): Map<number, { n: number; c: number }> {
  const out = new Map<number, { n: number; c: number }>();
  for (const r of records) {
    const q = out.get(r.line) ?? { n: 0, c: 0 };
    if (r.ok !== null) {
      q.n += 1;
      if (r.ok) q.c += 1;
    }
    out.set(r.line, q);
  }
  return out;
}
