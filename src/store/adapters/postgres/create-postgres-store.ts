import { Kysely } from "kysely";
import pg from "pg";
import type { CustomTypesConfig } from "pg";
import { ErrorCode, PitstopError, coerceError } from "../../../core/errors.js";
import type { Store } from "../../port.js";
import { createKyselyStore } from "../kysely/create-kysely-store.js";
import type { Database } from "../kysely/db-schema.js";
import { createPostgresErrorTranslator } from "./postgres-errors.js";
import { createSchemaScopedPostgresDialect } from "./schema-scoped-postgres-dialect.js";
import type { PostgresTarget } from "./postgres-errors.js";

export interface PostgresStoreOptions {
  connectionString: string;
  /** Schema for pitstop's tables (created if missing); lowercase letters, digits and `_`. */
  schema?: string;
  /** Pooled connections (default 10). */
  poolSize?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * int8 (bigint columns, count(*)) comes back as a JS number instead of pg's default string. Set on
 * this pool's clients only, never through the process-wide `pg.types.setTypeParser`. Safe here:
 * every int8 the store holds (epoch ms, ids, counts) is far below 2^53.
 */
const INT8_AS_NUMBER: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === pg.types.builtins.INT8 && format !== "binary"
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as CustomTypesConfig["getTypeParser"],
};

function describeTarget(connectionString: string): PostgresTarget {
  try {
    // A Client parses the string (URL or key=value, plus PG* env defaults) without connecting.
    const client = new pg.Client({ connectionString });
    return { host: client.host, port: client.port, database: client.database ?? "" };
  } catch (e) {
    throw new PitstopError(ErrorCode.USAGE, `invalid PostgreSQL connection string: ${coerceError(e).message}`, { cause: e });
  }
}

async function ensureSchema(pool: pg.Pool, schema: string): Promise<void> {
  try {
    await pool.query(`create schema if not exists ${schema}`);
  } catch (e) {
    // Two processes creating it at once: `if not exists` can still lose the race (23505/42P06).
    const code = (e as { code?: unknown }).code;
    if (code !== "23505" && code !== "42P06") throw coerceError(e);
  }
}

/**
 * The shared store on PostgreSQL. With `schema`, every pooled connection gets
 * `search_path=<schema>` at startup, so several stores (tests, tenants) share one database.
 * Connects once before resolving: an unreachable server rejects with STORE_UNAVAILABLE naming
 * host:port. Call `migrate()` before use.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new PitstopError(
      ErrorCode.USAGE,
      `invalid PostgreSQL schema name ${JSON.stringify(schema)}: use lowercase letters, digits and _ (not starting with a digit)`,
    );
  }
  const target = describeTarget(options.connectionString);
  const translateError = createPostgresErrorTranslator(target);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    // pg waits forever for a connection by default; a black-holed host should fail, not hang.
    connectionTimeoutMillis: 10_000,
    application_name: "pitstop",
    types: INT8_AS_NUMBER,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle client losing its connection emits "error" on the pool; unhandled, that would crash
  // the process. The next query reports STORE_UNAVAILABLE instead.
  pool.on("error", () => undefined);
  let currentSchema: string;
  try {
    if (schema !== undefined) await ensureSchema(pool, schema);
    const { rows } = await pool.query<{ schema: string | null }>("select current_schema() as schema");
    currentSchema = rows[0]?.schema ?? "public";
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw translateError(e);
  }
  const db = new Kysely<Database>({ dialect: createSchemaScopedPostgresDialect(pool, currentSchema) });
  return createKyselyStore({ db, dialect: "postgres", translateError, migrationTableSchema: currentSchema });
}
