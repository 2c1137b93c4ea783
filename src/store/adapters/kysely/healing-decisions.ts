import { sql, type SqlBool, type Transaction } from "kysely";
import { ErrorCode, PitstopError } from "../../../core/errors.js";
import type { Environment } from "../../../core/healing/environment.js";
import type { DecisionPatch, DecisionQuery, DecisionRecord, HealingStore, NewDecision, PendingApprovalRecord } from "../../healing-port.js";
import type { Database, StoreContext } from "./db-schema.js";
import { toDecision, toJson } from "./healing-rows.js";
import { byCodePoint, escapeNul, normaliseLimit } from "./sql-values.js";

type DecisionMethods = Pick<
  HealingStore,
  "saveDecision" | "updateDecision" | "getDecision" | "listDecisions" | "findDecisionIds" | "requestApproval" | "approve" | "listPendingApprovals"
>;

const notFound = (id: string): PitstopError =>
  new PitstopError(ErrorCode.DECISION_NOT_FOUND, `no healing decision has the id "${id}"; check the id in the audit log (pitstop audit export)`, {
    details: { decisionId: id },
  });

const approvalInvalid = (id: string, message: string): PitstopError =>
  new PitstopError(ErrorCode.APPROVAL_INVALID, `cannot approve decision "${id}": ${message}`, { details: { decisionId: id } });

/** The same person whatever the spacing or case they typed: `Alice` cannot approve `alice `'s request. */
const samePerson = (a: string, b: string): boolean => a.trim().normalize("NFC").toLowerCase() === b.trim().normalize("NFC").toLowerCase();

/** Decisions and their approvals (healing-port.ts). */
export function createDecisionMethods(ctx: StoreContext): DecisionMethods {
  const { db } = ctx;

  /**
   * Reads a decision inside a transaction and keeps it locked until commit: a row lock on
   * PostgreSQL; SQLite's store transactions begin IMMEDIATE and so already hold the write lock.
   */
  async function lockDecision(trx: Transaction<Database>, id: string): Promise<DecisionRecord | null> {
    let q = trx.selectFrom("healing_decisions").selectAll().where("id", "=", id);
    if (ctx.dialect === "postgres") q = q.forUpdate();
    const row = await q.executeTakeFirst();
    return row === undefined ? null : toDecision(row);
  }

  async function getDecision(id: string): Promise<DecisionRecord | null> {
    const row = await db.selectFrom("healing_decisions").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? null : toDecision(row);
  }

  function checkPatch(current: DecisionRecord, patch: DecisionPatch): void {
    const refuse = (why: string): PitstopError =>
      new PitstopError(ErrorCode.INVALID_TRANSITION, `decision "${current.id}" is ${current.status}: ${why}`, {
        details: { decisionId: current.id, from: current.status, to: patch.status },
      });
    if (patch.status === "approved" && current.status !== "approved") throw refuse("only an approval (pitstop approve) can approve it");
    if (current.status === "awaiting_approval" && patch.status !== "awaiting_approval" && patch.status !== "refused") {
      throw refuse(`it waits for an approval and cannot become ${patch.status} before one`);
    }
  }

  return {
    getDecision,

    async saveDecision(d: NewDecision): Promise<DecisionRecord> {
      await db
        .insertInto("healing_decisions")
        .values({
          id: d.id,
          incident_id: d.incidentId,
          at: d.at,
          environment: d.environment,
          action: d.action,
          target: toJson(d.target),
          explanation: JSON.stringify(d.explanation),
          status: d.status,
          requested_by: escapeNul(d.requestedBy),
        })
        .onConflict((oc) => oc.column("id").doNothing())
        .execute();
      return (await getDecision(d.id)) ?? Promise.reject(notFound(d.id));
    },

    async updateDecision(id: string, patch: DecisionPatch): Promise<DecisionRecord> {
      return db.transaction().execute(async (trx) => {
        const current = await lockDecision(trx, id);
        if (current === null) throw notFound(id);
        checkPatch(current, patch);
        await trx
          .updateTable("healing_decisions")
          .set({
            status: patch.status,
            ...(patch.verdict === undefined ? {} : { verdict: patch.verdict }),
            ...(patch.verifiedAt === undefined ? {} : { verified_at: patch.verifiedAt }),
            ...(patch.outcome === undefined ? {} : { outcome: toJson(patch.outcome) }),
          })
          .where("id", "=", id)
          .execute();
        return (await lockDecision(trx, id)) ?? Promise.reject(notFound(id));
      });
    },

    async listDecisions(query: DecisionQuery = {}): Promise<DecisionRecord[]> {
      let q = db.selectFrom("healing_decisions").selectAll();
      if (query.incidentId !== undefined) q = q.where("incident_id", "=", query.incidentId);
      if (query.environment !== undefined) q = q.where("environment", "=", query.environment);
      q = q.orderBy("at", "desc").orderBy(byCodePoint(ctx, "id"), "desc");
      const limit = normaliseLimit(query.limit);
      if (limit !== undefined) q = q.limit(limit);
      return (await q.execute()).map(toDecision);
    },

    async findDecisionIds(prefix: string, limit: number): Promise<string[]> {
      // substr, not LIKE (case-insensitive on SQLite, and % _ would need escaping), as RunStore.findRun.
      const matches = sql<SqlBool>`substr(id, 1, ${sql.lit(prefix.length)}) = ${prefix}`;
      const rows = await db.selectFrom("healing_decisions").select("id").where(matches).orderBy(byCodePoint(ctx, "id")).limit(Math.max(0, Math.floor(limit))).execute();
      return rows.map((r) => r.id);
    },

    async requestApproval({ decisionId, requestedBy, at }): Promise<DecisionRecord> {
      return db.transaction().execute(async (trx) => {
        const current = await lockDecision(trx, decisionId);
        if (current === null) throw notFound(decisionId);
        if (current.status === "awaiting_approval") return current;
        if (current.status !== "proposed") {
          throw new PitstopError(ErrorCode.APPROVAL_INVALID, `decision "${decisionId}" is ${current.status}: only a proposed decision can wait for an approval`, {
            details: { decisionId, status: current.status },
          });
        }
        await trx
          .updateTable("healing_decisions")
          .set({ status: "awaiting_approval", approval_requested_by: escapeNul(requestedBy), approval_requested_at: at })
          .where("id", "=", decisionId)
          .execute();
        return (await lockDecision(trx, decisionId)) ?? Promise.reject(notFound(decisionId));
      });
    },

    async approve({ decisionId, by, at }): Promise<DecisionRecord> {
      return db.transaction().execute(async (trx) => {
        const current = await lockDecision(trx, decisionId);
        if (current === null) throw approvalInvalid(decisionId, "no decision has this id; check it in the audit log (pitstop audit export)");
        if (current.status !== "awaiting_approval") throw approvalInvalid(decisionId, `it is ${current.status}, not awaiting an approval`);
        if (by.trim() === "") throw approvalInvalid(decisionId, "say who approves (an empty name cannot approve)");
        if (samePerson(by, current.requestedBy) || (current.approvalRequestedBy !== null && samePerson(by, current.approvalRequestedBy))) {
          throw approvalInvalid(decisionId, "approving your own request is not allowed: ask another person");
        }
        // The status condition repeats the check above, so the UPDATE cannot approve twice even
        // if a future caller forgets the lock.
        const result = await trx
          .updateTable("healing_decisions")
          .set({ status: "approved", approved_by: escapeNul(by), approved_at: at })
          .where("id", "=", decisionId)
          .where("status", "=", "awaiting_approval")
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== 1) throw approvalInvalid(decisionId, "it was approved or refused meanwhile");
        return (await lockDecision(trx, decisionId)) ?? Promise.reject(notFound(decisionId));
      });
    },

    async listPendingApprovals(environment?: Environment): Promise<PendingApprovalRecord[]> {
      let q = db.selectFrom("healing_decisions").selectAll().where("status", "=", "awaiting_approval");
      if (environment !== undefined) q = q.where("environment", "=", environment);
      const rows = await q.orderBy("approval_requested_at").orderBy(byCodePoint(ctx, "id")).execute();
      return rows.map(toDecision).map((d) => ({
        decisionId: d.id,
        incidentId: d.incidentId,
        environment: d.environment,
        action: d.action,
        target: d.target,
        requestedBy: d.approvalRequestedBy ?? d.requestedBy,
        requestedAt: d.approvalRequestedAt ?? d.at,
      }));
    },
  };
}
