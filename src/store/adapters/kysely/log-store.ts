import type { LogLine, LogQuery, LogStore } from "../../port.js";
import type { StoreContext } from "./db-schema.js";
import { chunk, escapeNul, normaliseLimit } from "./sql-values.js";

export function createKyselyLogStore({ db }: StoreContext): LogStore {
  return {
    async appendLogs(lines: readonly LogLine[]): Promise<void> {
      if (lines.length === 0) return;
      const rows = lines.map((l) => ({
        run_id: l.runId,
        job_id: l.jobId,
        attempt: l.attempt,
        seq: l.seq,
        stream: l.stream,
        text: escapeNul(l.text),
        at: l.at,
      }));
      const parts = chunk(rows);
      const insert = (trx: typeof db, part: (typeof parts)[number]) =>
        trx
          .insertInto("logs")
          .values(part)
          .onConflict((oc) => oc.columns(["run_id", "job_id", "attempt", "seq"]).doNothing())
          .execute();
      // A batch is what an agent sends at once: one statement for the usual batch, and one
      // transaction (one commit, one fsync) when a large batch needs several statements.
      if (parts.length === 1 && parts[0]) await insert(db, parts[0]);
      else await db.transaction().execute(async (trx) => { for (const part of parts) await insert(trx, part); });
    },

    async readLogs(query: LogQuery): Promise<Array<LogLine & { id: number }>> {
      let q = db.selectFrom("logs").selectAll().where("run_id", "=", query.runId);
      if (query.jobId !== undefined) q = q.where("job_id", "=", query.jobId);
      if (query.attempt !== undefined) q = q.where("attempt", "=", query.attempt);
      if (query.afterId !== undefined) q = q.where("id", ">", query.afterId);
      const limit = normaliseLimit(query.limit);
      const fromEnd = query.fromEnd === true && limit !== undefined;
      q = q.orderBy("id", fromEnd ? "desc" : "asc");
      if (limit !== undefined) q = q.limit(limit);
      const rows = await q.execute();
      if (fromEnd) rows.reverse();
      return rows.map((r) => ({
        id: r.id,
        runId: r.run_id,
        jobId: r.job_id,
        attempt: r.attempt,
        seq: r.seq,
        stream: r.stream as LogLine["stream"],
        text: r.text,
        at: r.at,
      }));
    },
  };
}
