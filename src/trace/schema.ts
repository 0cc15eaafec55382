import { compare, isInteger, parseDecimal } from "../decimal.ts";
import { isObject, JsonNumber, pointerJoin, type JsonValue } from "./parse.ts";
import { parseDateTime } from "./time.ts";

/** The draft-07 subset the VeriTrain schema uses. */
export interface SchemaNode {
  type?: "object" | "array" | "string" | "number" | "integer" | "boolean";
  required?: readonly string[];
  properties?: Readonly<Record<string, SchemaNode>>;
  items?: SchemaNode;
  enum?: readonly string[];
  pattern?: string;
  minimum?: number;
  format?: "date-time";
}

const dateTime: SchemaNode = { type: "string", format: "date-time" };

/** VeriTrain Trace Format 1.0, "JSON Schema" section, transcribed (descriptions dropped). */
export const TRACE_SCHEMA: SchemaNode = {
  type: "object",
  required: ["version", "start_time", "summary"],
  properties: {
    version: { type: "string", pattern: "^\\d+\\.\\d+$" },
    start_time: dateTime,
    end_time: dateTime,
    compute_events: {
      type: "array",
      items: {
        type: "object",
        required: ["step", "flops", "timestamp"],
        properties: {
          step: { type: "integer", minimum: 0 },
          flops: { type: "number", minimum: 0 },
          timestamp: dateTime,
          device: { type: "string" },
        },
      },
    },
    safety_evals: {
      type: "array",
      items: {
        type: "object",
        required: ["checkpoint", "eval_type", "passed", "timestamp"],
        properties: {
          checkpoint: { type: "integer" },
          eval_type: { type: "string", enum: ["CBRN", "cyber", "autonomous_replication", "persuasion", "custom"] },
          passed: { type: "boolean" },
          score: { type: "number" },
          threshold: { type: "number" },
          timestamp: dateTime,
        },
      },
    },
    deployment_gates: {
      type: "array",
      items: {
        type: "object",
        required: ["approved", "timestamp"],
        properties: { approved: { type: "boolean" }, approver: { type: "string" }, reason: { type: "string" }, timestamp: dateTime },
      },
    },
    summary: {
      type: "object",
      required: ["total_flops", "num_steps"],
      properties: {
        total_flops: { type: "number" },
        num_steps: { type: "integer" },
        evals_run: { type: "integer" },
        deployment_approved: { type: "boolean" },
        peak_memory_gb: { type: "number" },
        training_duration_seconds: { type: "number" },
      },
    },
    metadata: {
      type: "object",
      properties: {
        organization: { type: "string" },
        model_name: { type: "string" },
        framework: { type: "string", enum: ["pytorch", "jax", "tensorflow"] },
        hardware: { type: "string" },
      },
    },
  },
};

export interface SchemaIssue {
  pointer: string;
  message: string;
}

function typeOf(v: JsonValue): string {
  if (v === null) return "null";
  if (v instanceof JsonNumber) return isInteger(v.value) ? "integer" : "number";
  if (Array.isArray(v)) return "array";
  return typeof v === "object" ? "object" : typeof v;
}

function typeMatches(want: NonNullable<SchemaNode["type"]>, v: JsonValue): boolean {
  const got = typeOf(v);
  return want === got || (want === "number" && got === "integer");
}

/** Validates a parsed document against a schema node; every issue names its JSON pointer. */
export function validateSchema(value: JsonValue, schema: SchemaNode = TRACE_SCHEMA, pointer = ""): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const at = pointer || "/";
  if (schema.type && !typeMatches(schema.type, value)) {
    return [{ pointer: at, message: `expected ${schema.type}, got ${typeOf(value)}` }];
  }
  if (schema.enum && !schema.enum.includes(value as string)) {
    issues.push({ pointer: at, message: `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}, got ${JSON.stringify(value)}` });
  }
  if (schema.pattern && typeof value === "string" && !new RegExp(schema.pattern, "u").test(value)) {
    issues.push({ pointer: at, message: `does not match the pattern ${schema.pattern}` });
  }
  if (schema.format === "date-time" && typeof value === "string" && parseDateTime(value) === undefined) {
    issues.push({ pointer: at, message: `not an RFC 3339 date-time: ${JSON.stringify(value)}` });
  }
  if (schema.minimum !== undefined && value instanceof JsonNumber && compare(value.value, parseDecimal(String(schema.minimum))) < 0) {
    issues.push({ pointer: at, message: `must be ≥ ${schema.minimum}, got ${value.text}` });
  }
  if (isObject(value)) {
    for (const key of schema.required ?? []) {
      if (!Object.hasOwn(value, key)) issues.push({ pointer: pointerJoin(pointer, key), message: "required property is missing" });
    }
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      if (Object.hasOwn(value, key)) issues.push(...validateSchema(value[key]!, sub, pointerJoin(pointer, key)));
    }
  }
  if (Array.isArray(value) && schema.items) {
    for (const [i, item] of value.entries()) issues.push(...validateSchema(item, schema.items, pointerJoin(pointer, i)));
  }
  return issues;
}
