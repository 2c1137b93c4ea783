import { z } from "zod";
import { suggestionHint } from "./did-you-mean.js";
import type { IssueDraft, PathSegment } from "./issue-draft.js";
import type { IssueParams } from "./schema.js";

/**
 * Turns zod issues into issue drafts that read well in a CI log: one issue per unknown key with a
 * did-you-mean, union failures narrowed to the branch the user evidently meant, and types named
 * the YAML way (map, list) rather than the JavaScript way.
 */

type ZodIssue = z.core.$ZodIssue;

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true/false",
  object: "a map",
  record: "a map",
  array: "a list",
  null: "null",
};

export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return "nothing (null)";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a map";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === "boolean") return String(v);
  return `the number ${String(v)}`;
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let cur = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** The strict object schema at `path`, choosing union branches by the shape of the actual value. */
function objectSchemaAt(schema: z.ZodType, path: readonly PathSegment[], value: unknown): z.ZodObject | null {
  const s: z.ZodType = schema;
  if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) return objectSchemaAt(s.unwrap() as z.ZodType, path, value);
  if (s instanceof z.ZodLazy) return objectSchemaAt(s.unwrap() as z.ZodType, path, value);
  if (s instanceof z.ZodUnion) {
    for (const option of s.options as z.ZodType[]) {
      const found = objectSchemaAt(option, path, value);
      if (found) return found;
    }
    return null;
  }
  if (path.length === 0) return s instanceof z.ZodObject && isPlainMap(value) ? s : null;
  const [head, ...rest] = path;
  const child = valueAt(value, [head as PathSegment]);
  if (s instanceof z.ZodObject && isPlainMap(value)) {
    const field = (s.shape as Record<string, z.ZodType>)[String(head)] ?? (s.def.catchall as z.ZodType | undefined);
    return field ? objectSchemaAt(field, rest, child) : null;
  }
  if (s instanceof z.ZodArray && Array.isArray(value)) return objectSchemaAt(s.element as z.ZodType, rest, child);
  if (s instanceof z.ZodRecord && isPlainMap(value)) return objectSchemaAt(s.valueType as z.ZodType, rest, child);
  return null;
}

function isPlainMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** A branch failed on the value's own type (not inside it): the user did not mean this branch. */
function failsAtRoot(branch: ZodIssue[]): boolean {
  return branch.some((i) => i.path.length === 0 && (i.code === "invalid_type" || i.code === "invalid_value"));
}

function expectedOf(i: ZodIssue): string[] {
  if (i.code === "invalid_type") return [EXPECTED[i.expected] ?? i.expected];
  if (i.code === "invalid_value") return i.values.map((v) => JSON.stringify(v));
  return [];
}

function joinAlternatives(items: string[]): string {
  const unique = [...new Set(items)];
  if (unique.length <= 1) return unique[0] ?? "another value";
  return `${unique.slice(0, -1).join(", ")} or ${unique[unique.length - 1]}`;
}

interface MapContext {
  schema: z.ZodType;
  value: unknown;
  base: PathSegment[];
}

function mapIssue(issue: ZodIssue, prefix: PathSegment[], ctx: MapContext): IssueDraft[] {
  const rel = [...prefix, ...(issue.path as PathSegment[])];
  const path = [...ctx.base, ...rel];
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = Object.keys(objectSchemaAt(ctx.schema, rel, ctx.value)?.shape ?? {});
      return issue.keys.map((key) => ({
        path: [...path, key],
        message: `unknown key \`${key}\``,
        hint: suggestionHint(key, known, 20),
        target: "key" as const,
      }));
    }
    case "invalid_union": {
      const branches = issue.errors.filter((b) => !failsAtRoot(b));
      const chosen = branches.sort((a, b) => a.length - b.length)[0];
      if (chosen) return chosen.flatMap((i) => mapIssue(i, rel, ctx));
      const expected = joinAlternatives(issue.errors.flatMap((b) => b.filter((i) => i.path.length === 0).flatMap(expectedOf)));
      return [{ path, message: `expected ${expected}, got ${describeValue(valueAt(ctx.value, rel))}` }];
    }
    case "invalid_key":
      return issue.issues.map((i) => ({ path, message: i.message, target: "key" as const }));
    case "invalid_value": {
      const got = valueAt(ctx.value, rel);
      const values = issue.values.map((v) => String(v));
      const hint = typeof got === "string" ? suggestionHint(got, values) : undefined;
      return [{ path, message: issue.message, ...(hint ? { hint } : {}) }];
    }
    case "custom": {
      const p = (issue.params ?? {}) as IssueParams;
      return [
        {
          path,
          message: issue.message,
          ...(p.hint ? { hint: p.hint } : {}),
          ...(p.target ? { target: p.target } : {}),
          ...(p.offset !== undefined ? { offset: p.offset } : {}),
        },
      ];
    }
    default:
      return [{ path, message: issue.message }];
  }
}

/** Default wording for issues whose schema did not set its own message. */
function defaultMessage(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case "invalid_type": {
      if (iss.input === undefined) return `missing required key \`${String(iss.path?.[iss.path.length - 1] ?? "")}\``;
      return `expected ${EXPECTED[iss.expected] ?? iss.expected}, got ${describeValue(iss.input)}`;
    }
    case "too_small":
      if (iss.origin === "array") return iss.minimum === 1 ? "must not be empty" : `must have at least ${String(iss.minimum)} entries`;
      if (iss.origin === "string") return "must not be empty";
      return `must be at least ${String(iss.minimum)}`;
    case "too_big":
      if (iss.origin === "array") return `must have at most ${String(iss.maximum)} entries`;
      return `must be at most ${String(iss.maximum)}`;
    case "invalid_value":
      if (iss.values.length === 1) return `expected ${JSON.stringify(iss.values[0])}, got ${describeValue(iss.input)}`;
      return `expected one of ${iss.values.map((v) => String(v)).join(", ")}, got ${describeValue(iss.input)}`;
    case "invalid_format":
      return "has an invalid format";
    default:
      return undefined;
  }
}

/** Validates `value` (found at `base` in the document) against `schema`; returns data or drafts. */
export function validate<T extends z.ZodType>(
  schema: T,
  value: unknown,
  base: PathSegment[],
): { ok: true; data: z.infer<T> } | { ok: false; drafts: IssueDraft[] } {
  const r = schema.safeParse(value, { error: defaultMessage });
  if (r.success) return { ok: true, data: r.data };
  const ctx: MapContext = { schema, value, base };
  return { ok: false, drafts: r.error.issues.flatMap((i) => mapIssue(i, [], ctx)) };
}
