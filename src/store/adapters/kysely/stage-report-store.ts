import type { StageReportStore, StoredStageReport } from "../../port.js";
import type { StoreContext } from "./db-schema.js";
import { byCodePoint, escapeNul, parseJson } from "./sql-values.js";

export function createKyselyStageReportStore(ctx: StoreContext): StageReportStore {
  const { db } = ctx;
  return {
    async saveStageReport(r: StoredStageReport): Promise<void> {
      const row = {
        run_id: r.runId,
        job_id: r.jobId,
        attempt: r.attempt,
        kind: r.kind,
        summary: escapeNul(r.summary),
        data: escapeNul(JSON.stringify(r.data)),
        at: r.at,
      };
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom("stage_reports").where("run_id", "=", r.runId).where("job_id", "=", r.jobId).where("attempt", "=", r.attempt).execute();
        await trx.insertInto("stage_reports").values(row).execute();
      });
    },
    async listStageReports(runId: string, jobId?: string): Promise<StoredStageReport[]> {
      let q = db.selectFrom("stage_reports").selectAll().where("run_id", "=", runId);
      if (jobId !== undefined) q = q.where("job_id", "=", jobId);
      const rows = await q.orderBy(byCodePoint(ctx, "job_id")).orderBy("attempt").execute();
      return rows.map((r) => ({
        runId: r.run_id,
        jobId: r.job_id,
        attempt: r.attempt,
        kind: r.kind,
        summary: r.summary,
        data: parseJson<Record<string, unknown>>(r.data),
        at: r.at,
      }));
    },
  };
}
