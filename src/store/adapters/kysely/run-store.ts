import { sql } from "kysely";
import type { SqlBool } from "kysely";
import type { NewJob, NewRun, RunChange, RunQuery, RunRecord, RunStore } from "../../port.js";
import { applyRunChange, insertEvents } from "./apply-run-change.js";
import type { StoreContext } from "./db-schema.js";
import { toAttemptRecord, toJobRecord, toRunEvent, toRunRecord, toRunRow } from "./run-rows.js";
import { byCodePoint, chunk, normaliseLimit } from "./sql-values.js";

/** Shortest id prefix findRun accepts (port.ts). */
const MIN_PREFIX = 4;
/** `runs.number` is an `integer` (int4 on PostgreSQL): larger refs cannot be run numbers. */
const MAX_RUN_NUMBER = 2_147_483_647;

export function createKyselyRunStore(ctx: StoreContext): RunStore {
  const { db } = ctx;

  async function getRun(id: string): Promise<RunRecord | null> {
    const row = await db.selectFrom("runs").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toRunRecord(row) : null;
  }

  async function getRunByNumber(num: number): Promise<RunRecord | null> {
    const row = await db.selectFrom("runs").selectAll().where("number", "=", num).executeTakeFirst();
    return row ? toRunRecord(row) : null;
  }

  async function getRunByPrefix(prefix: string): Promise<RunRecord | null> {
    // substr, not LIKE: LIKE is case-insensitive on SQLite and would need escaping of % and _.
    const matches = sql<SqlBool>`substr(id, 1, ${sql.lit(prefix.length)}) = ${prefix}`;
    const rows = await db.selectFrom("runs").selectAll().where(matches).limit(2).execute();
    return rows.length === 1 && rows[0] ? toRunRecord(rows[0]) : null;
  }

  return {
    async createRun(run: NewRun, jobs: readonly NewJob[], at: number): Promise<RunRecord> {
      return db.transaction().execute(async (trx) => {
        // A counter row, not max(number) + 1: the row lock serialises concurrent creators on PostgreSQL.
        const { value } = await trx
          .updateTable("counters")
          .set((eb) => ({ value: eb("value", "+", 1) }))
          .where("name", "=", "run_number")
          .returning("value")
          .executeTakeFirstOrThrow();
        const row = toRunRow(run, Number(value));
        await trx.insertInto("runs").values(row).execute();
        const jobRows = jobs.map((j, position) => ({
          run_id: run.id,
          job_id: j.jobId,
          position,
          name: j.name,
          kind: j.kind,
          status: "pending",
          attempt: 0,
          reason: null,
          failure_class: null,
          not_before: null,
          started_at: null,
          finished_at: null,
        }));
        for (const part of chunk(jobRows)) await trx.insertInto("jobs").values(part).execute();
        await insertEvents(trx, run.id, [{ type: "run.created", jobId: null, attempt: null, at, data: { number: row.number } }]);
        return toRunRecord(row);
      });
    },

    getRun,

    async findRun(ref: string): Promise<RunRecord | null> {
      const r = ref.trim();
      if (r === "") return null;
      const exact = await getRun(r);
      if (exact) return exact;
      const numbered = /^#?(\d+)$/.exec(r);
      if (numbered?.[1] !== undefined) {
        const num = Number(numbered[1]);
        const byNumber = num <= MAX_RUN_NUMBER ? await getRunByNumber(num) : null;
        if (byNumber || r.startsWith("#")) return byNumber;
      }
      return r.length >= MIN_PREFIX ? getRunByPrefix(r) : null;
    },

    async listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
      let q = db.selectFrom("runs").selectAll().orderBy("number", "desc");
      if (query.statuses !== undefined && query.statuses.length > 0) q = q.where("status", "in", [...query.statuses]);
      const limit = normaliseLimit(query.limit);
      if (limit !== undefined) q = q.limit(limit);
      return (await q.execute()).map(toRunRecord);
    },

    async listJobs(runId: string) {
      const rows = await db.selectFrom("jobs").selectAll().where("run_id", "=", runId).orderBy("position").execute();
      return rows.map(toJobRecord);
    },

    async getJob(runId: string, jobId: string) {
      const row = await db
        .selectFrom("jobs")
        .selectAll()
        .where("run_id", "=", runId)
        .where("job_id", "=", jobId)
        .executeTakeFirst();
      return row ? toJobRecord(row) : null;
    },

    async listAttempts(runId: string, jobId?: string) {
      let q = db.selectFrom("attempts").selectAll().where("run_id", "=", runId);
      if (jobId !== undefined) q = q.where("job_id", "=", jobId);
      const rows = await q.orderBy(byCodePoint(ctx, "job_id")).orderBy("attempt").execute();
      return rows.map(toAttemptRecord);
    },

    async getAttempt(runId: string, jobId: string, attempt: number) {
      const row = await db
        .selectFrom("attempts")
        .selectAll()
        .where("run_id", "=", runId)
        .where("job_id", "=", jobId)
        .where("attempt", "=", attempt)
        .executeTakeFirst();
      return row ? toAttemptRecord(row) : null;
    },

    async apply(change: RunChange): Promise<void> {
      await db.transaction().execute((trx) => applyRunChange(trx, ctx, change));
    },

    async listEvents(runId: string, afterSeq?: number) {
      let q = db.selectFrom("run_events").selectAll().where("run_id", "=", runId);
      if (afterSeq !== undefined) q = q.where("seq", ">", afterSeq);
      return (await q.orderBy("seq").execute()).map(toRunEvent);
    },

    async requestCancel(runId: string, at: number): Promise<boolean> {
      const result = await db
        .updateTable("runs")
        .set((eb) => ({ cancel_requested_at: eb.fn.coalesce("cancel_requested_at", eb.val(at)) }))
        .where("id", "=", runId)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}
