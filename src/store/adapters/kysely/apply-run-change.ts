import type { Transaction } from "kysely";
import { ErrorCode, PitstopError, coerceError } from "../../../core/errors.js";
import type { NewRunEvent, RunChange } from "../../port.js";
import type { Database, StoreContext } from "./db-schema.js";
import { attemptPatchColumns, jobPatchColumns, runPatchColumns, toAttemptRow } from "./run-rows.js";
import { chunk } from "./sql-values.js";

type Trx = Transaction<Database>;

/** True for a foreign-key violation on either dialect (PG 23503, SQLITE_CONSTRAINT_FOREIGNKEY). */
function isForeignKeyViolation(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "23503" || code === "SQLITE_CONSTRAINT_FOREIGNKEY";
}

function jobNotFound(runId: string, jobId: string, attempt?: number): PitstopError {
  const what = attempt === undefined ? `job ${jobId}` : `attempt ${attempt} of job ${jobId}`;
  return new PitstopError(ErrorCode.JOB_NOT_FOUND, `${what} not found in run ${runId}`, {
    details: { runId, jobId, ...(attempt === undefined ? {} : { attempt }) },
  });
}

function runNotFound(runId: string): PitstopError {
  return new PitstopError(ErrorCode.RUN_NOT_FOUND, `run ${runId} not found`, { details: { runId } });
}

/**
 * Locks the run row for the rest of the transaction on PostgreSQL, so changes to one run are
 * serialised and its events commit in `seq` order (a tailing reader never sees a gap filled later).
 * SQLite transactions are already exclusive (BEGIN IMMEDIATE).
 */
async function lockRun(trx: Trx, ctx: StoreContext, runId: string): Promise<void> {
  const q = trx.selectFrom("runs").select("id").where("id", "=", runId);
  const row = await (ctx.dialect === "postgres" ? q.forUpdate() : q).executeTakeFirst();
  if (!row) throw runNotFound(runId);
}

async function patchJobs(trx: Trx, change: RunChange): Promise<void> {
  for (const { jobId, patch } of change.jobs ?? []) {
    const where = trx.updateTable("jobs").where("run_id", "=", change.runId).where("job_id", "=", jobId);
    const columns = jobPatchColumns(patch);
    const found =
      Object.keys(columns).length > 0
        ? (await where.set(columns).executeTakeFirst()).numUpdatedRows > 0n
        : await trx
            .selectFrom("jobs")
            .select("job_id")
            .where("run_id", "=", change.runId)
            .where("job_id", "=", jobId)
            .executeTakeFirst();
    if (!found) throw jobNotFound(change.runId, jobId);
  }
}

async function insertAttempts(trx: Trx, change: RunChange): Promise<void> {
  const attempts = change.newAttempts ?? [];
  if (attempts.length === 0) return;
  for (const a of attempts) {
    if (a.runId !== change.runId) {
      throw new PitstopError(ErrorCode.INTERNAL, `attempt for run ${a.runId} inside a change to run ${change.runId}`);
    }
  }
  try {
    await trx.insertInto("attempts").values(attempts.map(toAttemptRow)).execute();
  } catch (e) {
    const err = coerceError(e);
    if (!isForeignKeyViolation(e)) throw err;
    const jobIds = [...new Set(attempts.map((a) => a.jobId))];
    throw new PitstopError(ErrorCode.JOB_NOT_FOUND, `job(s) ${jobIds.join(", ")} not found in run ${change.runId}`, {
      cause: err,
      details: { runId: change.runId, jobIds },
    });
  }
}

async function patchAttempts(trx: Trx, change: RunChange): Promise<void> {
  for (const { jobId, attempt, patch } of change.attempts ?? []) {
    const columns = attemptPatchColumns(patch);
    const found =
      Object.keys(columns).length > 0
        ? (
            await trx
              .updateTable("attempts")
              .set(columns)
              .where("run_id", "=", change.runId)
              .where("job_id", "=", jobId)
              .where("attempt", "=", attempt)
              .executeTakeFirst()
          ).numUpdatedRows > 0n
        : await trx
            .selectFrom("attempts")
            .select("attempt")
            .where("run_id", "=", change.runId)
            .where("job_id", "=", jobId)
            .where("attempt", "=", attempt)
            .executeTakeFirst();
    if (!found) throw jobNotFound(change.runId, jobId, attempt);
  }
}

export async function insertEvents(trx: Trx, runId: string, events: readonly NewRunEvent[]): Promise<void> {
  for (const part of chunk(events)) {
    await trx
      .insertInto("run_events")
      .values(
        part.map((e) => ({
          run_id: runId,
          job_id: e.jobId,
          attempt: e.attempt,
          type: e.type,
          at: e.at,
          data: JSON.stringify(e.data),
        })),
      )
      .execute();
  }
}

/** RunChange.ifOwner: the owner is read under the run's lock, so the check and the change are one step. */
async function checkOwner(trx: Trx, ctx: StoreContext, runId: string, expected: string | null): Promise<void> {
  const q = trx.selectFrom("runs").select("owner_id").where("id", "=", runId);
  const row = await (ctx.dialect === "postgres" ? q.forUpdate() : q).executeTakeFirst();
  if (!row) throw runNotFound(runId);
  if (row.owner_id !== expected) {
    throw new PitstopError(ErrorCode.CONFLICT, `run ${runId} is owned by ${row.owner_id ?? "nobody"}, not ${expected ?? "nobody"}: another orchestrator took it`, {
      details: { runId, owner: row.owner_id, expected },
    });
  }
}

/** Applies a RunChange inside `trx`; any rejection rolls the whole change back. */
export async function applyRunChange(trx: Trx, ctx: StoreContext, change: RunChange): Promise<void> {
  if (change.ifOwner !== undefined) await checkOwner(trx, ctx, change.runId, change.ifOwner);
  const runColumns = change.run ? runPatchColumns(change.run) : {};
  if (Object.keys(runColumns).length > 0) {
    // The update locks the row as well, one round trip fewer than lockRun + update.
    const { numUpdatedRows } = await trx.updateTable("runs").set(runColumns).where("id", "=", change.runId).executeTakeFirst();
    if (numUpdatedRows === 0n) throw runNotFound(change.runId);
  } else {
    await lockRun(trx, ctx, change.runId);
  }
  await patchJobs(trx, change);
  await insertAttempts(trx, change);
  await patchAttempts(trx, change);
  await insertEvents(trx, change.runId, change.events);
}
