import { PostgresDialect, sql } from "kysely";
import type { DatabaseIntrospector, Dialect, Kysely, SchemaMetadata, TableMetadata } from "kysely";
import type pg from "pg";

/**
 * Introspection limited to the store's own schema, names only (all Kysely's Migrator asks for).
 * The stock PostgreSQL introspector reads every column of every schema in the database and calls
 * `has_schema_privilege(name)`, which fails with "schema … does not exist" when another process
 * drops a schema during the scan (seen with parallel test files sharing a database).
 */
class SchemaScopedIntrospector implements DatabaseIntrospector {
  // Introspection is schema-agnostic by nature.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(private readonly db: Kysely<any>, private readonly schema: string) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`select nspname as name from pg_namespace where nspname = ${this.schema}`.execute(this.db);
    return rows;
  }

  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; kind: string }>`
      select c.relname as name, c.relkind as kind
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${this.schema} and c.relkind in ('r', 'p', 'v')
      order by c.relname`.execute(this.db);
    return rows.map((r) => ({ name: r.name, schema: this.schema, isView: r.kind === "v", columns: [] }));
  }

  async getMetadata(): Promise<{ tables: TableMetadata[] }> {
    return { tables: await this.getTables() };
  }
}

class SchemaScopedPostgresDialect extends PostgresDialect {
  constructor(pool: pg.Pool, private readonly schema: string) {
    super({ pool });
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SchemaScopedIntrospector(db, this.schema);
  }
}

/** Kysely's PostgreSQL dialect over `pool`, introspecting only `schema` (see above). */
export function createSchemaScopedPostgresDialect(pool: pg.Pool, schema: string): Dialect {
  return new SchemaScopedPostgresDialect(pool, schema);
}
