import { createHash } from "node:crypto";
import { auditHashInput } from "../../core/healing/audit-record.js";
import type { AuditHashFields } from "../../core/healing/audit-record.js";

/** sha256 (lowercase hex) of the record's canonical fields: what `hash` must hold. */
export function hashAuditRecord(fields: AuditHashFields): string {
  return createHash("sha256").update(auditHashInput(fields), "utf8").digest("hex");
}
