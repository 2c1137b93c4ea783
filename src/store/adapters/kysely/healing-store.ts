import { ErrorCode, PitstopError } from "../../../core/errors.js";
import type { Environment } from "../../../core/healing/environment.js";
import type { PolicyState } from "../../../core/healing/policies/create-policy.js";
import type {
  ActionHistoryRecord,
  BreakerState,
  FeedbackRecord,
  HealingStore,
  IncidentQuery,
  IncidentRecord,
  NewFeedback,
  NewIncident,
  StoredPolicyState,
} from "../../healing-port.js";
import type { StoreContext } from "./db-schema.js";
import { createDecisionMethods } from "./healing-decisions.js";
import { toAction, toBreaker, toFeedback, toIncident, toJson } from "./healing-rows.js";
import { byCodePoint, escapeNul, escapeNulOrNull, normaliseLimit, parseJson } from "./sql-values.js";

type IncidentMethods = Pick<HealingStore, "openIncident" | "getIncident" | "listIncidents" | "resolveIncident">;

function createIncidentMethods(ctx: StoreContext): IncidentMethods {
  const { db } = ctx;
  async function getIncident(id: string): Promise<IncidentRecord | null> {
    const row = await db.selectFrom("healing_incidents").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? null : toIncident(row);
  }
  return {
    getIncident,

    async openIncident(i: NewIncident): Promise<IncidentRecord> {
      await db
        .insertInto("healing_incidents")
        .values({
          id: i.id,
          at: i.at,
          environment: i.environment,
          kind: i.kind,
          target: toJson(i.target),
          signature: i.signature,
          context: JSON.stringify(i.context),
          status: "open",
        })
        .onConflict((oc) => oc.column("id").doNothing())
        .execute();
      const stored = await getIncident(i.id);
      if (stored === null) throw new PitstopError(ErrorCode.INTERNAL, `incident "${i.id}" vanished right after it was stored`);
      return stored;
    },

    async listIncidents(query: IncidentQuery = {}): Promise<IncidentRecord[]> {
      let q = db.selectFrom("healing_incidents").selectAll();
      if (query.environment !== undefined) q = q.where("environment", "=", query.environment);
      if (query.status !== undefined) q = q.where("status", "=", query.status);
      q = q.orderBy("at", "desc").orderBy(byCodePoint(ctx, "id"), "desc");
      const limit = normaliseLimit(query.limit);
      if (limit !== undefined) q = q.limit(limit);
      return (await q.execute()).map(toIncident);
    },

    async resolveIncident(id, { at, status, note }): Promise<IncidentRecord | null> {
      // Only an open incident changes, so the first resolution wins without a read-then-write race.
      await db
        .updateTable("healing_incidents")
        .set({ status, resolved_at: at, note: escapeNulOrNull(note) })
        .where("id", "=", id)
        .where("status", "=", "open")
        .execute();
      return getIncident(id);
    },
  };
}

type FeedbackMethods = Pick<HealingStore, "addFeedback" | "listFeedback">;

function createFeedbackMethods({ db }: StoreContext): FeedbackMethods {
  return {
    async addFeedback(f: NewFeedback): Promise<FeedbackRecord> {
      return db.transaction().execute(async (trx) => {
        const decision = await trx.selectFrom("healing_decisions").select("id").where("id", "=", f.decisionId).executeTakeFirst();
        if (decision === undefined) {
          throw new PitstopError(ErrorCode.DECISION_NOT_FOUND, `cannot record feedback: no healing decision has the id "${f.decisionId}"; check the id in the audit log (pitstop audit export)`, {
            details: { decisionId: f.decisionId },
          });
        }
        const row = await trx
          .insertInto("healing_feedback")
          .values({ decision_id: f.decisionId, at: f.at, by: escapeNul(f.by), verdict: f.verdict, note: escapeNulOrNull(f.note ?? null) })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toFeedback(row);
      });
    },

    async listFeedback(decisionId?: string): Promise<FeedbackRecord[]> {
      let q = db.selectFrom("healing_feedback").selectAll();
      if (decisionId !== undefined) q = q.where("decision_id", "=", decisionId);
      return (await q.orderBy("id").execute()).map(toFeedback);
    },
  };
}

type PolicyMethods = Pick<HealingStore, "getPolicyState" | "savePolicyState">;

function createPolicyMethods({ db }: StoreContext): PolicyMethods {
  return {
    async getPolicyState(environment: Environment): Promise<StoredPolicyState | null> {
      const row = await db.selectFrom("healing_policy_state").selectAll().where("environment", "=", environment).executeTakeFirst();
      return row === undefined ? null : { state: parseJson<PolicyState>(row.state), version: Number(row.version) };
    },

    async savePolicyState(environment: Environment, state: PolicyState, expectedVersion: number): Promise<number> {
      const text = JSON.stringify(state);
      const next = expectedVersion + 1;
      // Both writes are single conditional statements: atomic on either dialect without a lock.
      const written =
        expectedVersion === 0
          ? (
              await db
                .insertInto("healing_policy_state")
                .values({ environment, state: text, version: next })
                .onConflict((oc) => oc.column("environment").doNothing())
                .executeTakeFirst()
            ).numInsertedOrUpdatedRows
          : (
              await db
                .updateTable("healing_policy_state")
                .set({ state: text, version: next })
                .where("environment", "=", environment)
                .where("version", "=", expectedVersion)
                .executeTakeFirst()
            ).numUpdatedRows;
      if (Number(written ?? 0) === 1) return next;
      const current = await db.selectFrom("healing_policy_state").select("version").where("environment", "=", environment).executeTakeFirst();
      const actual = current === undefined ? 0 : Number(current.version);
      throw new PitstopError(
        ErrorCode.CONFLICT,
        `the ${environment} policy state is at version ${actual}, not ${expectedVersion}: another writer saved it meanwhile; read it again, re-apply the update and save`,
        { retryable: true, details: { environment, expectedVersion, actualVersion: actual } },
      );
    },
  };
}

type ActionMethods = Pick<HealingStore, "recordAction" | "listActions">;

function createActionMethods({ db }: StoreContext): ActionMethods {
  return {
    async recordAction(a: ActionHistoryRecord): Promise<ActionHistoryRecord> {
      await db
        .insertInto("healing_actions")
        .values({
          decision_id: a.decisionId,
          at: a.at,
          environment: a.environment,
          action: a.action,
          target: toJson(a.target),
          signature: a.signature,
        })
        .onConflict((oc) => oc.column("decision_id").doNothing())
        .execute();
      const row = await db.selectFrom("healing_actions").selectAll().where("decision_id", "=", a.decisionId).executeTakeFirstOrThrow();
      return toAction(row);
    },

    async listActions({ environment, since }): Promise<ActionHistoryRecord[]> {
      const rows = await db
        .selectFrom("healing_actions")
        .selectAll()
        .where("environment", "=", environment)
        .where("at", ">=", since)
        .orderBy("at")
        .orderBy("seq")
        .execute();
      return rows.map(toAction);
    },
  };
}

type BreakerMethods = Pick<HealingStore, "getBreaker" | "tripBreaker" | "resetBreaker">;

function createBreakerMethods({ db }: StoreContext): BreakerMethods {
  async function getBreaker(environment: Environment): Promise<BreakerState> {
    return toBreaker(await db.selectFrom("healing_breakers").selectAll().where("environment", "=", environment).executeTakeFirst());
  }
  return {
    getBreaker,

    async tripBreaker(environment: Environment, at: number, reason: string): Promise<BreakerState> {
      const tripped = { tripped: 1, tripped_at: at, reason: escapeNul(reason) };
      // An open breaker keeps its first trip: the WHERE makes the upsert a no-op then.
      await db
        .insertInto("healing_breakers")
        .values({ environment, ...tripped, reset_at: null, reset_by: null })
        .onConflict((oc) => oc.column("environment").doUpdateSet(tripped).where("healing_breakers.tripped", "=", 0))
        .execute();
      return getBreaker(environment);
    },

    async resetBreaker(environment: Environment, at: number, by: string): Promise<BreakerState> {
      await db
        .updateTable("healing_breakers")
        .set({ tripped: 0, reset_at: at, reset_by: escapeNul(by) })
        .where("environment", "=", environment)
        .where("tripped", "=", 1)
        .execute();
      return getBreaker(environment);
    },
  };
}

/** The healing loop's Knowledge over Kysely (healing-port.ts), on SQLite and PostgreSQL alike. */
export function createKyselyHealingStore(ctx: StoreContext): HealingStore {
  return {
    ...createIncidentMethods(ctx),
    ...createDecisionMethods(ctx),
    ...createFeedbackMethods(ctx),
    ...createPolicyMethods(ctx),
    ...createActionMethods(ctx),
    ...createBreakerMethods(ctx),
  };
}
