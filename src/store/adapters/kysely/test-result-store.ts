import { countTests } from "../../../core/run/test-case.js";
import type { TestCase, TestCaseStatus, TestCounts } from "../../../core/run/test-case.js";
import type { StoredTestCase, TestResultStore } from "../../port.js";
import type { StoreContext } from "./db-schema.js";
import { byCodePoint, chunk, escapeNul, escapeNulOrNull } from "./sql-values.js";

export function createKyselyTestResultStore(ctx: StoreContext): TestResultStore {
  const { db } = ctx;
  return {
    async saveTestCases(runId: string, jobId: string, attempt: number, cases: readonly TestCase[]): Promise<void> {
      const rows = cases.map((c, idx) => ({
        run_id: runId,
        job_id: jobId,
        attempt,
        idx,
        suite: escapeNul(c.suite),
        classname: escapeNul(c.classname),
        name: escapeNul(c.name),
        status: c.status,
        duration_ms: c.durationMs,
        message: escapeNulOrNull(c.message),
        file: c.file,
      }));
      await db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom("test_cases")
          .where("run_id", "=", runId)
          .where("job_id", "=", jobId)
          .where("attempt", "=", attempt)
          .execute();
        for (const part of chunk(rows)) await trx.insertInto("test_cases").values(part).execute();
      });
    },

    async listTestCases(query: { runId: string; jobId?: string; attempt?: number }): Promise<StoredTestCase[]> {
      let q = db.selectFrom("test_cases").selectAll().where("run_id", "=", query.runId);
      if (query.jobId !== undefined) q = q.where("job_id", "=", query.jobId);
      if (query.attempt !== undefined) q = q.where("attempt", "=", query.attempt);
      const rows = await q.orderBy(byCodePoint(ctx, "job_id")).orderBy("attempt").orderBy("idx").execute();
      return rows.map((r) => ({
        runId: r.run_id,
        jobId: r.job_id,
        attempt: r.attempt,
        suite: r.suite,
        classname: r.classname,
        name: r.name,
        status: r.status as TestCaseStatus,
        durationMs: r.duration_ms,
        message: r.message,
        file: r.file,
      }));
    },

    async testCounts(runId: string): Promise<Record<string, TestCounts>> {
      const latest = db
        .selectFrom("test_cases")
        .select(["job_id", (eb) => eb.fn.max("attempt").as("attempt")])
        .where("run_id", "=", runId)
        .groupBy("job_id")
        .as("latest");
      const rows = await db
        .selectFrom("test_cases as t")
        .innerJoin(latest, (join) => join.onRef("latest.job_id", "=", "t.job_id").onRef("latest.attempt", "=", "t.attempt"))
        .select(["t.job_id", "t.status", (eb) => eb.fn.countAll<number>().as("n")])
        .where("t.run_id", "=", runId)
        .groupBy(["t.job_id", "t.status"])
        .execute();
      const out: Record<string, TestCounts> = {};
      for (const r of rows) {
        const counts = (out[r.job_id] ??= countTests([]));
        const n = Number(r.n);
        counts.total += n;
        counts[r.status as TestCaseStatus] += n;
      }
      return out;
    },
  };
}
