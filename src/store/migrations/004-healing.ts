import type { Migration } from "kysely";
import { withAutoKey, type AnyDb, type Dialect } from "./migration-helpers.js";


async function createIncidentTables(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("healing_incidents")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("at", "bigint", (c) => c.notNull())
    .addColumn("environment", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("target", "text")
    .addColumn("signature", "text")
    .addColumn("context", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("resolved_at", "bigint")
    .addColumn("note", "text")
    .execute();
  await db.schema.createIndex("healing_incidents_env_at").on("healing_incidents").columns(["environment", "at"]).execute();
  await db.schema.createIndex("healing_incidents_status_at").on("healing_incidents").columns(["status", "at"]).execute();

  // Approval columns live on the decision row, so approving is one conditional UPDATE.
  await db.schema
    .createTable("healing_decisions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("incident_id", "text", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .addColumn("environment", "text", (c) => c.notNull())
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("target", "text")
    .addColumn("explanation", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("requested_by", "text", (c) => c.notNull())
    .addColumn("verdict", "text")
    .addColumn("verified_at", "bigint")
    .addColumn("outcome", "text")
    .addColumn("approval_requested_by", "text")
    .addColumn("approval_requested_at", "bigint")
    .addColumn("approved_by", "text")
    .addColumn("approved_at", "bigint")
    .execute();
  await db.schema.createIndex("healing_decisions_incident").on("healing_decisions").columns(["incident_id", "at"]).execute();
  await db.schema.createIndex("healing_decisions_env_at").on("healing_decisions").columns(["environment", "at"]).execute();
  await db.schema.createIndex("healing_decisions_status").on("healing_decisions").columns(["status", "approval_requested_at"]).execute();
}

async function createLearningTables(db: AnyDb, dialect: Dialect): Promise<void> {
  await withAutoKey(db.schema.createTable("healing_feedback"), "id", dialect)
    .addColumn("decision_id", "text", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .addColumn("by", "text", (c) => c.notNull())
    .addColumn("verdict", "text", (c) => c.notNull())
    .addColumn("note", "text")
    .execute();
  await db.schema.createIndex("healing_feedback_decision").on("healing_feedback").columns(["decision_id", "id"]).execute();

  await db.schema
    .createTable("healing_policy_state")
    .addColumn("environment", "text", (c) => c.primaryKey())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull())
    .execute();

  await withAutoKey(db.schema.createTable("healing_actions"), "seq", dialect)
    .addColumn("decision_id", "text", (c) => c.notNull().unique())
    .addColumn("at", "bigint", (c) => c.notNull())
    .addColumn("environment", "text", (c) => c.notNull())
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("target", "text")
    .addColumn("signature", "text")
    .execute();
  await db.schema.createIndex("healing_actions_env_at").on("healing_actions").columns(["environment", "at", "seq"]).execute();

  // Booleans as 0/1 integers: the same column type and values on both dialects.
  await db.schema
    .createTable("healing_breakers")
    .addColumn("environment", "text", (c) => c.primaryKey())
    .addColumn("tripped", "integer", (c) => c.notNull())
    .addColumn("tripped_at", "bigint")
    .addColumn("reset_at", "bigint")
    .addColumn("reset_by", "text")
    .addColumn("reason", "text")
    .execute();
}

/** The healing loop's Knowledge (issue 4): incidents, decisions, feedback, policy state, actions, breakers. */
export function createHealingMigration(dialect: Dialect): Migration {
  return {
    async up(db: AnyDb): Promise<void> {
      await createIncidentTables(db);
      await createLearningTables(db, dialect);
    },
    async down(db: AnyDb): Promise<void> {
      for (const t of ["healing_breakers", "healing_actions", "healing_policy_state", "healing_feedback", "healing_decisions", "healing_incidents"]) {
        await db.schema.dropTable(t).execute();
      }
    },
  };
}
