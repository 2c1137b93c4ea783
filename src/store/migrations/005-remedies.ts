import { sql, type Migration } from "kysely";
import { withAutoKey, type AnyDb, type Dialect } from "./migration-helpers.js";

async function createQuarantineTable(db: AnyDb, dialect: Dialect): Promise<void> {
  // A test can be quarantined many times over its life: one row per entry, never overwritten.
  await withAutoKey(db.schema.createTable("quarantine_entries"), "id", dialect)
    .addColumn("test_id", "text", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("by", "text", (c) => c.notNull())
    .addColumn("decision_id", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("released_at", "bigint")
    .addColumn("released_by", "text")
    .execute();
  await db.schema.createIndex("quarantine_entries_created").on("quarantine_entries").columns(["created_at", "id"]).execute();
  // Every job dispatch asks for the active entries, and quarantining asks for one test's: both only
  // look at unreleased rows, which stay few while released history grows.
  await db.schema
    .createIndex("quarantine_entries_unreleased")
    .on("quarantine_entries")
    .columns(["test_id", "expires_at"])
    .where(sql.ref("released_at"), "is", null)
    .execute();
}

async function createFlakeHistoryTable(db: AnyDb): Promise<void> {
  // Counters only (one row per test), so a rerun is one upsert that increments in place.
  await db.schema
    .createTable("flake_history")
    .addColumn("test_id", "text", (c) => c.primaryKey())
    .addColumn("runs", "integer", (c) => c.notNull())
    .addColumn("flakes", "integer", (c) => c.notNull())
    .addColumn("last_flake_at", "bigint")
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("flake_history_flakes").on("flake_history").columns(["flakes", "test_id"]).execute();
}

async function createThresholdTable(db: AnyDb, dialect: Dialect): Promise<void> {
  // Values are doubles: thresholds such as error ratios are fractional. `from`/`to` are SQL keywords.
  await withAutoKey(db.schema.createTable("threshold_changes"), "id", dialect)
    .addColumn("detector", "text", (c) => c.notNull())
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("from_value", "double precision")
    .addColumn("to_value", "double precision")
    .addColumn("by", "text", (c) => c.notNull())
    .addColumn("decision_id", "text")
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .execute();
  // The current value is the newest change of (detector, key): the last entry of this index.
  await db.schema.createIndex("threshold_changes_detector_key").on("threshold_changes").columns(["detector", "key", "id"]).execute();
}

/** What the healing loop's actuators change (remedies-port.ts): quarantined tests, flake history, thresholds. */
export function createRemediesMigration(dialect: Dialect): Migration {
  return {
    async up(db: AnyDb): Promise<void> {
      await createQuarantineTable(db, dialect);
      await createFlakeHistoryTable(db);
      await createThresholdTable(db, dialect);
    },
    async down(db: AnyDb): Promise<void> {
      for (const t of ["threshold_changes", "flake_history", "quarantine_entries"]) {
        await db.schema.dropTable(t).execute();
      }
    },
  };
}
