import { sql } from "kysely";
import type { Expression } from "kysely";
import type { StoreContext } from "./db-schema.js";

/** Small value helpers shared by the Kysely stores. */

/**
 * PostgreSQL text cannot hold NUL; SQLite can. Both dialects store NUL as the `\x00` escape the
 * port already uses for bytes that are not text, so a value reads back the same on either.
 */
export function escapeNul(text: string): string {
  return text.includes("\u0000") ? text.replaceAll("\u0000", "\\x00") : text;
}

export function escapeNulOrNull(text: string | null): string | null {
  return text === null ? null : escapeNul(text);
}

/**
 * Splits rows for multi-row inserts: SQLite allows 32766 bound values per statement and
 * PostgreSQL 65535; 500 rows of ≤ 12 columns stays far below both.
 */
export function chunk<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** A non-negative integer limit, or undefined for none. */
export function normaliseLimit(limit: number | undefined): number | undefined {
  return limit === undefined ? undefined : Math.max(0, Math.floor(limit));
}

/**
 * Orders text by code point on both dialects: PostgreSQL would otherwise use the database's
 * locale collation and list `job-b` and `job_a` differently from SQLite.
 */
export function byCodePoint(ctx: StoreContext, column: string): Expression<unknown> {
  return ctx.dialect === "postgres" ? sql`${sql.ref(column)} collate "C"` : sql.ref(column);
}
