import path from "node:path";
import Database from "better-sqlite3";
import { Kysely } from "kysely";
import type { Store } from "../../port.js";
import { createKyselyStore } from "../kysely/create-kysely-store.js";
import type { Database as Schema } from "../kysely/db-schema.js";
import { createImmediateSqliteDialect } from "./immediate-sqlite-dialect.js";
import { configureConnection, openSqliteFile } from "./open-sqlite-database.js";
import { createSqliteErrorTranslator } from "./sqlite-errors.js";

export type SqliteStoreOptions = { file: string } | { memory: true };

/**
 * The embedded store: one better-sqlite3 connection (WAL, synchronous=NORMAL, busy_timeout 5 s,
 * foreign keys on). Creates the file's directory. Rejects with DATA_DIR_UNWRITABLE naming the
 * path when the file or its directory cannot be written. Call `migrate()` before use.
 */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const location = "file" in options ? path.resolve(options.file) : ":memory:";
  let database: Database.Database;
  if ("file" in options) {
    database = openSqliteFile(location);
  } else {
    database = new Database(":memory:");
    configureConnection(database, false);
  }
  const db = new Kysely<Schema>({ dialect: createImmediateSqliteDialect(database) });
  return createKyselyStore({ db, dialect: "sqlite", translateError: createSqliteErrorTranslator(location) });
}
