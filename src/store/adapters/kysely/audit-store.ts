import type { Transaction } from "kysely";
import { ErrorCode, PitstopError } from "../../../core/errors.js";
import type { AuditRecord, StoredAuditRecord } from "../../../core/healing/audit-record.js";
import type { AuditHead, AuditQuery, AuditStore } from "../../port.js";
import type { AuditRecordsTable, Database, StoreContext } from "./db-schema.js";
import { normaliseLimit, parseJson } from "./sql-values.js";

const HEAD_ID = 1;

function toStored(row: AuditRecordsTable): StoredAuditRecord {
  return {
    seq: Number(row.seq),
    at: Number(row.at),
    type: row.type,
    actor: row.actor,
    subject: parseJson<Record<string, string>>(row.subject),
    data: parseJson<StoredAuditRecord["data"]>(row.data),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** A builder that breaks the chain is a bug in the caller: refuse it before anything is written. */
function checkLink(record: AuditRecord, head: AuditHead): void {
  if (record.seq === head.seq + 1 && record.prevHash === head.hash) return;
  throw new PitstopError(
    ErrorCode.INTERNAL,
    `audit append refused: the record must have seq ${head.seq + 1} and prevHash ${head.hash.slice(0, 12)}…, got seq ${record.seq} and prevHash ${String(record.prevHash).slice(0, 12)}…`,
    { details: { head, seq: record.seq } },
  );
}

export function createKyselyAuditStore(ctx: StoreContext): AuditStore {
  const { db } = ctx;

  async function lockHead(trx: Transaction<Database>): Promise<AuditHead> {
    let q = trx.selectFrom("audit_head").select(["seq", "hash"]).where("id", "=", HEAD_ID);
    // PostgreSQL: the row lock makes concurrent appenders (any process) queue here until this
    // transaction commits; they then read the new head. SQLite needs no row lock: every store
    // transaction starts with BEGIN IMMEDIATE, which already holds the database's write lock.
    if (ctx.dialect === "postgres") q = q.forUpdate();
    const row = await q.executeTakeFirstOrThrow();
    return { seq: Number(row.seq), hash: row.hash };
  }

  return {
    async append(build: (head: AuditHead) => AuditRecord): Promise<AuditRecord> {
      return db.transaction().execute(async (trx) => {
        const head = await lockHead(trx);
        const record = build(head);
        checkLink(record, head);
        await trx
          .insertInto("audit_records")
          .values({
            seq: record.seq,
            at: record.at,
            type: record.type,
            actor: record.actor,
            subject: JSON.stringify(record.subject),
            data: JSON.stringify(record.data),
            prev_hash: record.prevHash,
            hash: record.hash,
          })
          .execute();
        await trx.updateTable("audit_head").set({ seq: record.seq, hash: record.hash }).where("id", "=", HEAD_ID).execute();
        return record;
      });
    },

    async list(query: AuditQuery = {}): Promise<StoredAuditRecord[]> {
      let q = db.selectFrom("audit_records").selectAll().orderBy("seq");
      if (query.afterSeq !== undefined) q = q.where("seq", ">", query.afterSeq);
      const limit = normaliseLimit(query.limit);
      if (limit !== undefined) q = q.limit(limit);
      return (await q.execute()).map(toStored);
    },

    async head(): Promise<AuditHead> {
      const row = await db.selectFrom("audit_head").select(["seq", "hash"]).where("id", "=", HEAD_ID).executeTakeFirstOrThrow();
      return { seq: Number(row.seq), hash: row.hash };
    },
  };
}
