import { sql, type Kysely, type Selectable, type Transaction } from "kysely";
import { ErrorCode, PitstopError } from "../../../core/errors.js";
import type {
  FlakeHistory,
  NewQuarantine,
  NewThresholdChange,
  QuarantineRecord,
  RemedyStore,
  RerunOutcome,
  ThresholdChange,
} from "../../remedies-port.js";
import type { Database, FlakeHistoryTable, QuarantineEntriesTable, StoreContext, ThresholdChangesTable } from "./db-schema.js";
import { byCodePoint, escapeNul, escapeNulOrNull, normaliseLimit } from "./sql-values.js";

const num = (v: number | null): number | null => (v === null ? null : Number(v));

function toQuarantine(r: Selectable<QuarantineEntriesTable>): QuarantineRecord {
  return {
    testId: r.test_id,
    reason: r.reason,
    by: r.by,
    decisionId: r.decision_id,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    releasedAt: num(r.released_at),
    releasedBy: r.released_by,
  };
}

function toFlakeHistory(r: FlakeHistoryTable): FlakeHistory {
  return { testId: r.test_id, runs: Number(r.runs), flakes: Number(r.flakes), lastFlakeAt: num(r.last_flake_at), updatedAt: Number(r.updated_at) };
}

function toThresholdChange(r: Selectable<ThresholdChangesTable>): ThresholdChange {
  return {
    id: Number(r.id),
    detector: r.detector,
    key: r.key,
    from: num(r.from_value),
    to: num(r.to_value),
    by: r.by,
    decisionId: r.decision_id,
    reason: r.reason,
    at: Number(r.at),
  };
}

/**
 * Serialises read-then-write transactions on one name (a test, a threshold) until commit. On
 * PostgreSQL a transaction-scoped advisory lock: a row lock cannot guard a row that does not exist
 * yet (the first quarantine of a test, the first change of a threshold). The schema is part of the
 * name so stores sharing a database do not queue behind each other. SQLite needs nothing: store
 * transactions begin IMMEDIATE and so already hold the database's write lock.
 */
async function lockName(ctx: StoreContext, trx: Transaction<Database>, name: readonly string[]): Promise<void> {
  if (ctx.dialect !== "postgres") return;
  // JSON text: an unambiguous join of the parts that also escapes NUL, which PostgreSQL text cannot hold.
  const text = JSON.stringify(["pitstop.remedies", ...name]);
  await sql`select pg_advisory_xact_lock(hashtextextended(current_schema() || ${text}, 0))`.execute(trx);
}

type QuarantineMethods = Pick<RemedyStore, "quarantineTest" | "releaseQuarantine" | "listQuarantine">;

function createQuarantineMethods(ctx: StoreContext): QuarantineMethods {
  const { db } = ctx;

  /** The test's active entry at `at` (there is at most one: quarantineTest extends it rather than adding). */
  async function findActive(trx: Transaction<Database>, testId: string, at: number): Promise<Selectable<QuarantineEntriesTable> | undefined> {
    return trx
      .selectFrom("quarantine_entries")
      .selectAll()
      .where("test_id", "=", testId)
      .where("released_at", "is", null)
      .where("expires_at", ">", at)
      .orderBy("id", "desc")
      .executeTakeFirst();
  }

  return {
    async quarantineTest(q: NewQuarantine): Promise<QuarantineRecord> {
      const testId = escapeNul(q.testId);
      return db.transaction().execute(async (trx) => {
        await lockName(ctx, trx, ["quarantine", testId]);
        const active = await findActive(trx, testId, q.at);
        if (active !== undefined) {
          if (q.expiresAt <= Number(active.expires_at)) return toQuarantine(active);
          await trx.updateTable("quarantine_entries").set({ expires_at: q.expiresAt }).where("id", "=", active.id).execute();
          return toQuarantine({ ...active, expires_at: q.expiresAt });
        }
        const row = await trx
          .insertInto("quarantine_entries")
          .values({
            test_id: testId,
            reason: escapeNul(q.reason),
            by: escapeNul(q.by),
            decision_id: escapeNulOrNull(q.decisionId),
            created_at: q.at,
            expires_at: q.expiresAt,
            released_at: null,
            released_by: null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toQuarantine(row);
      });
    },

    async releaseQuarantine(rawTestId: string, { by, at }): Promise<QuarantineRecord | null> {
      const testId = escapeNul(rawTestId);
      return db.transaction().execute(async (trx) => {
        await lockName(ctx, trx, ["quarantine", testId]);
        const active = await findActive(trx, testId, at);
        if (active === undefined) return null;
        const released = { released_at: at, released_by: escapeNul(by) };
        await trx.updateTable("quarantine_entries").set(released).where("id", "=", active.id).execute();
        return toQuarantine({ ...active, ...released });
      });
    },

    async listQuarantine(query: { activeAt?: number; limit?: number } = {}): Promise<QuarantineRecord[]> {
      let q = db.selectFrom("quarantine_entries").selectAll();
      if (query.activeAt !== undefined) q = q.where("released_at", "is", null).where("expires_at", ">", query.activeAt);
      q = q.orderBy("created_at", "desc").orderBy("id", "desc");
      const limit = normaliseLimit(query.limit);
      if (limit !== undefined) q = q.limit(limit);
      return (await q.execute()).map(toQuarantine);
    },
  };
}

type FlakeMethods = Pick<RemedyStore, "recordRerun" | "getFlakeHistory" | "listFlakyTests">;

function createFlakeMethods(ctx: StoreContext): FlakeMethods {
  const { db } = ctx;
  const current = (column: string) => sql.ref(`flake_history.${column}`);
  const incoming = (column: string) => sql.ref(`excluded.${column}`);
  /** The later of the stored and the incoming time: reruns may be reported out of order. */
  const later = (column: string) =>
    sql<number>`case when ${current(column)} is null or ${incoming(column)} > ${current(column)} then ${incoming(column)} else ${current(column)} end`;

  return {
    async recordRerun(outcome: RerunOutcome): Promise<FlakeHistory> {
      const flake = outcome.passed ? 1 : 0;
      // One upsert incrementing in place: concurrent reruns of a test are all counted, no lock needed.
      const row = await db
        .insertInto("flake_history")
        .values({
          test_id: escapeNul(outcome.testId),
          runs: 1,
          flakes: flake,
          last_flake_at: outcome.passed ? outcome.at : null,
          updated_at: outcome.at,
        })
        .onConflict((oc) =>
          oc.column("test_id").doUpdateSet({
            runs: sql<number>`${current("runs")} + 1`,
            flakes: sql<number>`${current("flakes")} + ${incoming("flakes")}`,
            // A failed rerun brings a null last_flake_at: `null > stored` is not true, so the stored time stays.
            last_flake_at: later("last_flake_at"),
            updated_at: later("updated_at"),
          }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return toFlakeHistory(row);
    },

    async getFlakeHistory(testId: string): Promise<FlakeHistory | null> {
      const row = await db.selectFrom("flake_history").selectAll().where("test_id", "=", escapeNul(testId)).executeTakeFirst();
      return row === undefined ? null : toFlakeHistory(row);
    },

    async listFlakyTests(limit?: number): Promise<FlakeHistory[]> {
      let q = db.selectFrom("flake_history").selectAll().where("flakes", ">", 0).orderBy("flakes", "desc").orderBy(byCodePoint(ctx, "test_id"));
      const n = normaliseLimit(limit);
      if (n !== undefined) q = q.limit(n);
      return (await q.execute()).map(toFlakeHistory);
    },
  };
}

type ThresholdMethods = Pick<RemedyStore, "changeThreshold" | "getThreshold" | "listThresholdChanges">;

function createThresholdMethods(ctx: StoreContext): ThresholdMethods {
  const { db } = ctx;

  /** The newest change's `to`, by id: ids follow insertion, which the lock in changeThreshold orders per threshold. */
  async function currentValue(from: Kysely<Database>, detector: string, key: string): Promise<number | null> {
    const row = await from
      .selectFrom("threshold_changes")
      .select("to_value")
      .where("detector", "=", detector)
      .where("key", "=", key)
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? null : num(row.to_value);
  }

  return {
    async changeThreshold(change: NewThresholdChange): Promise<ThresholdChange> {
      // SQLite would store NaN as NULL (silently "back to the default") while PostgreSQL keeps it.
      if (change.to !== null && !Number.isFinite(change.to)) {
        throw new PitstopError(
          ErrorCode.USAGE,
          `threshold ${change.key} of detector ${change.detector} must be a finite number or null (the default), got ${String(change.to)}`,
          { details: { detector: change.detector, key: change.key } },
        );
      }
      const detector = escapeNul(change.detector);
      const key = escapeNul(change.key);
      return db.transaction().execute(async (trx) => {
        await lockName(ctx, trx, ["threshold", detector, key]);
        const row = await trx
          .insertInto("threshold_changes")
          .values({
            detector,
            key,
            from_value: await currentValue(trx, detector, key),
            to_value: change.to,
            by: escapeNul(change.by),
            decision_id: escapeNulOrNull(change.decisionId),
            reason: escapeNul(change.reason),
            at: change.at,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toThresholdChange(row);
      });
    },

    async getThreshold(detector: string, key: string): Promise<number | null> {
      return currentValue(db, escapeNul(detector), escapeNul(key));
    },

    async listThresholdChanges(query: { detector?: string; key?: string; limit?: number } = {}): Promise<ThresholdChange[]> {
      let q = db.selectFrom("threshold_changes").selectAll();
      if (query.detector !== undefined) q = q.where("detector", "=", escapeNul(query.detector));
      if (query.key !== undefined) q = q.where("key", "=", escapeNul(query.key));
      // Newest = inserted last, the order `from` was chained in (caller clocks may disagree on `at`).
      q = q.orderBy("id", "desc");
      const limit = normaliseLimit(query.limit);
      if (limit !== undefined) q = q.limit(limit);
      return (await q.execute()).map(toThresholdChange);
    },
  };
}

/** Quarantines, flake history and detector thresholds over Kysely (remedies-port.ts), on SQLite and PostgreSQL alike. */
export function createKyselyRemedyStore(ctx: StoreContext): RemedyStore {
  return {
    ...createQuarantineMethods(ctx),
    ...createFlakeMethods(ctx),
    ...createThresholdMethods(ctx),
  };
}
