import type { z } from "zod";

type Def = { type: string; innerType?: z.ZodType; element?: z.ZodType; shape?: Record<string, z.ZodType>; in?: z.ZodType };

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Every dotted key a schema accepts (`witness.attestors[].name`); records stop at their own key. */
export function schemaKeys(schema: z.ZodType, prefix = ""): string[] {
  const def = defOf(schema);
  switch (def.type) {
    case "default":
    case "optional":
    case "nullable":
    case "prefault":
      return schemaKeys(def.innerType!, prefix);
    case "pipe":
      return schemaKeys(def.in!, prefix);
    case "array": {
      const inner = defOf(def.element!);
      const unwrapped = inner.type === "object" ? schemaKeys(def.element!, `${prefix}[]`) : [];
      return unwrapped.length ? unwrapped : [prefix];
    }
    case "object": {
      const out: string[] = [];
      for (const [k, v] of Object.entries(def.shape!)) out.push(...schemaKeys(v, prefix ? `${prefix}.${k}` : k));
      return out;
    }
    default:
      return [prefix];
  }
}
