import { sql } from "kysely";
import type { Kysely, Migration } from "kysely";

/** 64 zeros: the prevHash of the first record (GENESIS_HASH; migrations never import current code). */
const GENESIS = "0".repeat(64);

/**
 * The audit hash chain (issue 4): records keyed by their seq (assigned by the store, never an
 * autoincrement, so a failed append leaves no gap), and a one-row head that appenders lock.
 */
export function createAuditMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("audit_records")
        .addColumn("seq", "bigint", (c) => c.primaryKey())
        .addColumn("at", "bigint", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("actor", "text", (c) => c.notNull())
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("prev_hash", "text", (c) => c.notNull())
        .addColumn("hash", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("audit_head")
        .addColumn("id", "integer", (c) => c.primaryKey())
        .addColumn("seq", "bigint", (c) => c.notNull())
        .addColumn("hash", "text", (c) => c.notNull())
        .execute();
      await sql`insert into audit_head (id, seq, hash) values (1, 0, ${GENESIS})`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable("audit_head").execute();
      await db.schema.dropTable("audit_records").execute();
    },
  };
}
