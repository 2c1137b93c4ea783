import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode, isPitstopError } from "../../../src/core/errors.js";
import type { AuditData } from "../../../src/core/healing/audit-record.js";
import { createAuditLog } from "../../../src/healing/audit/create-audit-log.js";
import type { AuditEntry } from "../../../src/healing/audit/create-audit-log.js";
import { hashAuditRecord } from "../../../src/healing/audit/hash-audit-record.js";
import { verifyChain } from "../../../src/healing/audit/verify-chain.js";
import { createSqliteStore } from "../../../src/store/adapters/sqlite/create-sqlite-store.js";
import type { AuditStore, Store } from "../../../src/store/port.js";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "pitstop-audit-log-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const decision = (i: number, data: AuditData = { i }): AuditEntry => ({ type: "RL_DECISION", actor: "system", subject: { decisionId: `d${i}` }, data });

async function rejectCode(p: Promise<unknown>, code: ErrorCode, text: RegExp): Promise<void> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(isPitstopError(e, code), String(e)).toBe(true);
  expect((e as Error).message).toMatch(text);
}

describe("createAuditLog on a real SQLite store", () => {
  let store: Store;
  let clock: number;
  beforeEach(async () => {
    store = await createSqliteStore({ memory: true });
    await store.migrate();
    clock = 1_700_000_000_000;
  });
  afterEach(() => store.close());

  it("appends records that link to each other and verify", async () => {
    const log = createAuditLog({ store: store.audit, now: () => (clock += 7) });
    const first = await log.append({ type: "INCIDENT_OPENED", actor: "agent:detector-1", subject: { incidentId: "i1", env: "stage" }, data: { failureClass: "deploy_unhealthy" } });
    const second = await log.append({ type: "FEEDBACK", actor: "user:alice", subject: { decisionId: "d1" }, data: { verdict: "accept", note: "ok" } });
    expect(first).toMatchObject({ seq: 1, at: 1_700_000_000_007, type: "INCIDENT_OPENED", prevHash: "0".repeat(64) });
    expect(second).toMatchObject({ seq: 2, at: 1_700_000_000_014, prevHash: first.hash });
    expect(second.hash).toBe(hashAuditRecord(second));
    const stored = await store.audit.list();
    expect(stored).toEqual([first, second]);
    expect(verifyChain(stored, { anchors: [await store.audit.head()] })).toEqual({ ok: true, count: 2, head: { seq: 2, hash: second.hash } });
  });

  it("defaults subject and data to empty objects", async () => {
    const log = createAuditLog({ store: store.audit, now: () => clock });
    expect(await log.append({ type: "BREAKER_RESET", actor: "user:ops" })).toMatchObject({ subject: {}, data: {} });
  });

  it("drops undefined values before hashing, so the stored record still verifies", async () => {
    const log = createAuditLog({ store: store.audit, now: () => clock });
    const r = await log.append({ type: "FEEDBACK", actor: "user:bo", subject: { decisionId: "d9" }, data: { verdict: "reject", note: undefined, nested: { a: undefined, b: 1 } } });
    expect(r.data).toEqual({ verdict: "reject", nested: { b: 1 } });
    expect(verifyChain(await store.audit.list()).ok).toBe(true);
  });

  it("refuses unknown types, malformed actors and subjects, and non-JSON data, writing nothing", async () => {
    const log = createAuditLog({ store: store.audit, now: () => clock });
    await rejectCode(log.append({ ...decision(1), type: "RL_DECISIONS" as never }), ErrorCode.INTERNAL, /unknown event type "RL_DECISIONS"; expected one of RUNTIME_EMIT, .*BREAKER_RESET/);
    await rejectCode(log.append({ ...decision(1), actor: "root" as never }), ErrorCode.INTERNAL, /actor "root" must be "system", "user:<name>" or "agent:<id>"/);
    await rejectCode(log.append({ ...decision(1), subject: { runId: 7 as never } }), ErrorCode.INTERNAL, /subject\.runId/);
    await rejectCode(log.append(decision(1, { scores: [1, NaN] })), ErrorCode.INTERNAL, /data\.scores\[1\]: NaN is not JSON/);
    await rejectCode(log.append(decision(1, [1, 2] as never)), ErrorCode.INTERNAL, /data must be a JSON object/);
    expect(await store.audit.list()).toEqual([]);
  });

  it("commits appends from one log in call order", async () => {
    const log = createAuditLog({ store: store.audit, now: () => clock++ });
    const records = await Promise.all(Array.from({ length: 25 }, (_, i) => log.append(decision(i))));
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(records.map((r) => (r.data as { i: number }).i)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(verifyChain(await store.audit.list()).ok).toBe(true);
  });

  it("keeps going after a failed append", async () => {
    let calls = 0;
    // The real store, failing its second append as a lost connection would.
    const flaky: AuditStore = { ...store.audit, append: (build) => (++calls === 2 ? Promise.reject(new Error("connection lost")) : store.audit.append(build)) };
    const log = createAuditLog({ store: flaky, now: () => clock });
    const results = await Promise.allSettled([log.append(decision(1)), log.append(decision(2)), log.append(decision(3))]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const stored = await store.audit.list();
    expect(stored.map((r) => [r.seq, r.subject.decisionId])).toEqual([[1, "d1"], [2, "d3"]]);
    expect(verifyChain(stored).ok).toBe(true);
  });

  it("a row edited in the database is found by verify", async () => {
    const file = path.join(root, "edited.db");
    const fileStore = await createSqliteStore({ file });
    await fileStore.migrate();
    const log = createAuditLog({ store: fileStore.audit, now: () => clock++ });
    for (let i = 1; i <= 4; i++) await log.append(decision(i));
    const raw = new Database(file);
    raw.prepare("update audit_records set data = ? where seq = 3").run(JSON.stringify({ i: 30 }));
    raw.close();
    const v = verifyChain(await fileStore.audit.list(), { anchors: [await fileStore.audit.head()] });
    expect(v).toMatchObject({ ok: false, seq: 3, reason: "edited", message: "record 3 (RL_DECISION) was edited: its hash does not match its content" });
    await fileStore.close();
  });
});
