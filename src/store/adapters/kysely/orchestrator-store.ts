import type { OrchestratorRecord, OrchestratorStore } from "../../port.js";
import type { StoreContext } from "./db-schema.js";

export function createKyselyOrchestratorStore({ db }: StoreContext): OrchestratorStore {
  return {
    async heartbeat(record: OrchestratorRecord): Promise<void> {
      const row = {
        id: record.id,
        host: record.host,
        pid: record.pid,
        started_at: record.startedAt,
        heartbeat_at: record.heartbeatAt,
      };
      await db
        .insertInto("orchestrators")
        .values(row)
        .onConflict((oc) =>
          oc.column("id").doUpdateSet({ host: row.host, pid: row.pid, started_at: row.started_at, heartbeat_at: row.heartbeat_at }),
        )
        .execute();
    },

    async listOrchestrators(): Promise<OrchestratorRecord[]> {
      const rows = await db.selectFrom("orchestrators").selectAll().orderBy("started_at").orderBy("id").execute();
      return rows.map((r) => ({ id: r.id, host: r.host, pid: r.pid, startedAt: r.started_at, heartbeatAt: r.heartbeat_at }));
    },

    async removeOrchestrator(id: string): Promise<void> {
      await db.deleteFrom("orchestrators").where("id", "=", id).execute();
    },
  };
}
