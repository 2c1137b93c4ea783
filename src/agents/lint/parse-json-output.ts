import type { z } from "zod";

/** Parses a tool's JSON output against `schema`; a problem names the tool and the first bad field, never throws. */
export function parseJsonOutput<T>(schema: z.ZodType<T>, text: string, what: string): { ok: true; value: T } | { ok: false; problem: string } {
  if (text.trim() === "") return { ok: false, problem: `${what} output is empty` };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, problem: `${what} output is not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? "(root)" : issue.path.map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`)).join("");
  return { ok: false, problem: `${what} output does not have the expected shape: ${where}: ${issue?.message ?? "invalid"}` };
}
