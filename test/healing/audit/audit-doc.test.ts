import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AuditEventType, auditHashInput } from "../../../src/core/healing/audit-record.js";
import { parseAuditJsonl } from "../../../src/healing/audit/audit-jsonl.js";
import { verifyChain } from "../../../src/healing/audit/verify-chain.js";

// docs/audit.md promises one row per event type; this keeps the two in step.
const DOC = fileURLToPath(new URL("../../../docs/audit.md", import.meta.url));

describe("docs/audit.md", () => {
  it("lists exactly the event types of the catalog, each once, with what appends it", () => {
    const rows = readFileSync(DOC, "utf8")
      .split("\n")
      .filter((l) => /^\|\s*`[A-Z_]+`\s*\|/.test(l))
      .map((l) => l.split("|").slice(1, -1).map((c) => c.trim()));
    const types = rows.map((r) => r[0]!.replace(/`/g, ""));
    expect(types).toEqual(Object.values(AuditEventType));
    for (const r of rows) expect(r[1]!.length, r[0]).toBeGreaterThan(20);
  });

  it("shows an example that is a valid record, and the exact text its hash covers", () => {
    const doc = readFileSync(DOC, "utf8");
    const example = /```json\n(.*)\n```/.exec(doc)?.[1] ?? "";
    const hashed = /```text\n(.*)\n```/.exec(doc)?.[1] ?? "";
    const parsed = parseAuditJsonl(example);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(verifyChain(parsed.records)).toMatchObject({ ok: true, count: 1 });
    expect(auditHashInput(parsed.records[0]!)).toBe(hashed);
  });
});
