import type { Migration, MigrationProvider } from "kysely";
import type { Store } from "../port.js";
import { createInitialMigration } from "./001-initial.js";
import { createStageReportsMigration } from "./002-stage-reports.js";
import { createAuditMigration } from "./003-audit.js";
import { createHealingMigration } from "./004-healing.js";
import { createRemediesMigration } from "./005-remedies.js";

/**
 * The numbered migrations, listed statically (no directory scanning) so they work from `dist/`
 * and from a bundle. Names sort in application order; never rename or edit an applied migration.
 */
export function createMigrationProvider(dialect: Store["dialect"]): MigrationProvider {
  const migrations: Record<string, Migration> = {
    "001-initial": createInitialMigration(dialect),
    "002-stage-reports": createStageReportsMigration(),
    "003-audit": createAuditMigration(),
    "004-healing": createHealingMigration(dialect),
    "005-remedies": createRemediesMigration(dialect),
  };
  return { getMigrations: async () => migrations };
}
