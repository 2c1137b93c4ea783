import { Migrator } from "kysely";
import type { Kysely } from "kysely";
import { ErrorCode, PitstopError } from "../../../core/errors.js";
import { createMigrationProvider } from "../../migrations/migration-provider.js";
import type { Store } from "../../port.js";
import { createKyselyAuditStore } from "./audit-store.js";
import { createKyselyBusMessageStore } from "./bus-message-store.js";
import type { Database, StoreContext } from "./db-schema.js";
import { guardMethods } from "./guard-methods.js";
import { createKyselyHealingStore } from "./healing-store.js";
import { createKyselyLogStore } from "./log-store.js";
import { createKyselyOrchestratorStore } from "./orchestrator-store.js";
import { createKyselyRemedyStore } from "./remedy-store.js";
import { createKyselyRunStore } from "./run-store.js";
import { createKyselyStageReportStore } from "./stage-report-store.js";
import { createKyselyTestResultStore } from "./test-result-store.js";

export interface KyselyStoreOptions {
  db: Kysely<Database>;
  dialect: Store["dialect"];
  /** Turns a driver error into a PitstopError (STORE_UNAVAILABLE, DATA_DIR_UNWRITABLE, INTERNAL…). */
  translateError: (e: unknown) => PitstopError;
  /**
   * Schema of Kysely's own migration tables (PostgreSQL). Without it the migrator looks for them
   * in every schema of the database and may find another store's.
   */
  migrationTableSchema?: string;
}

async function runMigrations(options: KyselyStoreOptions): Promise<void> {
  const migrator = new Migrator({
    db: options.db,
    provider: createMigrationProvider(options.dialect),
    ...(options.migrationTableSchema === undefined ? {} : { migrationTableSchema: options.migrationTableSchema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const translated = options.translateError(error);
  if (translated.code !== ErrorCode.INTERNAL) throw translated;
  const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "(setup)";
  throw new PitstopError(ErrorCode.INTERNAL, `database migration ${failed} failed: ${translated.message}`, {
    cause: error,
    details: { migration: failed },
  });
}

/** Assembles the Store over one Kysely instance; the dialect factories only open the database. */
export function createKyselyStore(options: KyselyStoreOptions): Store {
  const ctx: StoreContext = { db: options.db, dialect: options.dialect };
  let closing: Promise<void> | null = null;
  const checkOpen = (): void => {
    if (closing) throw new PitstopError(ErrorCode.STORE_UNAVAILABLE, `the ${options.dialect} store is closed`);
  };
  const guard = <T extends object>(target: T): T => guardMethods(target, options.translateError, checkOpen);
  return {
    dialect: options.dialect,
    runs: guard(createKyselyRunStore(ctx)),
    logs: guard(createKyselyLogStore(ctx)),
    tests: guard(createKyselyTestResultStore(ctx)),
    stages: guard(createKyselyStageReportStore(ctx)),
    busMessages: guard(createKyselyBusMessageStore(ctx)),
    orchestrators: guard(createKyselyOrchestratorStore(ctx)),
    audit: guard(createKyselyAuditStore(ctx)),
    healing: guard(createKyselyHealingStore(ctx)),
    remedies: guard(createKyselyRemedyStore(ctx)),
    migrate: guard({ migrate: () => runMigrations(options) }).migrate,
    close(): Promise<void> {
      closing ??= options.db.destroy();
      return closing;
    },
  };
}
