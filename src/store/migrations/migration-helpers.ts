import type { CreateTableBuilder, Kysely } from "kysely";
import type { Store } from "../port.js";

/**
 * Helpers shared by the numbered migrations. Never change what they produce: applied migrations
 * must keep describing the same schema.
 */
export type Dialect = Store["dialect"];
// Migrations must not depend on the current table types (they describe the past), hence `any`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDb = Kysely<any>;

/**
 * An auto-incrementing `bigint` key. SQLite only autoincrements `integer primary key`; its
 * AUTOINCREMENT also guarantees ids are never reused, which `afterSeq`/`afterId` tailing relies on.
 */
export function withAutoKey<T extends string>(table: CreateTableBuilder<T>, column: string, dialect: Dialect): CreateTableBuilder<T> {
  return dialect === "sqlite"
    ? table.addColumn(column, "integer", (c) => c.primaryKey().autoIncrement())
    : table.addColumn(column, "bigserial", (c) => c.primaryKey());
}
