import type { Kysely, Migration } from "kysely";

/** Stage agents' reports per attempt (issue 3): one JSON document each, kind and summary beside it. */
export function createStageReportsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("stage_reports")
        .addColumn("run_id", "text", (c) => c.notNull())
        .addColumn("job_id", "text", (c) => c.notNull())
        .addColumn("attempt", "integer", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("summary", "text", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("stage_reports_pk", ["run_id", "job_id", "attempt"])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable("stage_reports").execute();
    },
  };
}
