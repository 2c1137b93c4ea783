import { sql } from "kysely";
import type { Migration } from "kysely";
import { withAutoKey, type AnyDb, type Dialect } from "./migration-helpers.js";


async function createRunTables(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("runs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("number", "integer", (c) => c.notNull().unique())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("pipeline_file", "text", (c) => c.notNull())
    .addColumn("workspace", "text", (c) => c.notNull())
    .addColumn("plan", "text", (c) => c.notNull())
    .addColumn("trigger", "text", (c) => c.notNull())
    .addColumn("branch", "text")
    .addColumn("commit_sha", "text")
    .addColumn("env", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("started_at", "bigint")
    .addColumn("finished_at", "bigint")
    .addColumn("owner_id", "text")
    .addColumn("cancel_requested_at", "bigint")
    .addColumn("reason", "text")
    .execute();
  // listRuns({ statuses }) newest first.
  await db.schema.createIndex("runs_status_number").on("runs").columns(["status", "number"]).execute();

  await db.schema
    .createTable("jobs")
    .addColumn("run_id", "text", (c) => c.notNull().references("runs.id").onDelete("cascade"))
    .addColumn("job_id", "text", (c) => c.notNull())
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("reason", "text")
    .addColumn("failure_class", "text")
    .addColumn("not_before", "bigint")
    .addColumn("started_at", "bigint")
    .addColumn("finished_at", "bigint")
    .addPrimaryKeyConstraint("jobs_pk", ["run_id", "job_id"])
    .execute();

  await db.schema
    .createTable("attempts")
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("job_id", "text", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("token", "text", (c) => c.notNull())
    .addColumn("agent_id", "text")
    .addColumn("lease_expires_at", "bigint")
    .addColumn("queued_at", "bigint", (c) => c.notNull())
    .addColumn("started_at", "bigint")
    .addColumn("finished_at", "bigint")
    .addColumn("exit_code", "integer")
    .addColumn("signal", "text")
    .addColumn("failure_class", "text")
    .addColumn("evidence", "text")
    .addColumn("output_bytes", "bigint", (c) => c.notNull())
    .addColumn("truncated_bytes", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("attempts_pk", ["run_id", "job_id", "attempt"])
    .addForeignKeyConstraint("attempts_job_fk", ["run_id", "job_id"], "jobs", ["run_id", "job_id"], (c) =>
      c.onDelete("cascade"),
    )
    .execute();
}

async function createHistoryTables(db: AnyDb, dialect: Dialect): Promise<void> {
  await withAutoKey(db.schema.createTable("run_events"), "seq", dialect)
    .addColumn("run_id", "text", (c) => c.notNull().references("runs.id").onDelete("cascade"))
    .addColumn("job_id", "text")
    .addColumn("attempt", "integer")
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .addColumn("data", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("run_events_run_seq").on("run_events").columns(["run_id", "seq"]).execute();

  // No foreign key on logs and test cases: they are high-volume data, not part of the run aggregate.
  await withAutoKey(db.schema.createTable("logs"), "id", dialect)
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("job_id", "text", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("stream", "text", (c) => c.notNull())
    .addColumn("text", "text", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("logs_line_unique", ["run_id", "job_id", "attempt", "seq"])
    .execute();
  // readLogs({ runId, afterId }) tails a whole run.
  await db.schema.createIndex("logs_run_id").on("logs").columns(["run_id", "id"]).execute();

  await db.schema
    .createTable("test_cases")
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("job_id", "text", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("idx", "integer", (c) => c.notNull())
    .addColumn("suite", "text", (c) => c.notNull())
    .addColumn("classname", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("duration_ms", "double precision", (c) => c.notNull())
    .addColumn("message", "text")
    .addColumn("file", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("test_cases_pk", ["run_id", "job_id", "attempt", "idx"])
    .execute();
}

async function createInfraTables(db: AnyDb, dialect: Dialect): Promise<void> {
  await withAutoKey(db.schema.createTable("bus_messages"), "seq", dialect)
    .addColumn("id", "text", (c) => c.notNull().unique())
    .addColumn("topic", "text", (c) => c.notNull())
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("published_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("bus_groups")
    .addColumn("topic", "text", (c) => c.notNull())
    .addColumn("group_name", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("bus_groups_pk", ["topic", "group_name"])
    .execute();
  await db.schema
    .createTable("bus_acks")
    .addColumn("message_id", "text", (c) => c.notNull())
    .addColumn("group_name", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("bus_acks_pk", ["message_id", "group_name"])
    .execute();

  await db.schema
    .createTable("orchestrators")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("host", "text", (c) => c.notNull())
    .addColumn("pid", "integer", (c) => c.notNull())
    .addColumn("started_at", "bigint", (c) => c.notNull())
    .addColumn("heartbeat_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("counters")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("value", "bigint", (c) => c.notNull())
    .execute();
  await sql`insert into counters (name, value) values ('run_number', 0)`.execute(db);
}

/** 001: runs, jobs, attempts, history (events, logs, test cases), bus durability, orchestrators. */
export function createInitialMigration(dialect: Dialect): Migration {
  return {
    async up(db: AnyDb): Promise<void> {
      await createRunTables(db);
      await createHistoryTables(db, dialect);
      await createInfraTables(db, dialect);
    },
  };
}
