import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredAuditRecord } from "../../../src/core/healing/audit-record.js";
import { createAuditLog } from "../../../src/healing/audit/create-audit-log.js";
import { verifyChain } from "../../../src/healing/audit/verify-chain.js";
import { createPostgresStore } from "../../../src/store/adapters/postgres/create-postgres-store.js";
import { createSqliteStore } from "../../../src/store/adapters/sqlite/create-sqlite-store.js";
import type { Store } from "../../../src/store/port.js";
import { buildStoreForChildren, runChild } from "../../store/helpers/store-child.js";
import type { StoreBuild } from "../../store/helpers/store-child.js";

const pgUrl = process.env.PITSTOP_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const prefix = `pitstop_audit_${process.pid}_${Date.now().toString(36)}`;
const schemas: string[] = [];
const newSchema = (): string => {
  schemas.push(`${prefix}_${schemas.length}`);
  return schemas.at(-1)!;
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pitstop-audit-concurrent-"));
let build: StoreBuild;

beforeAll(() => {
  build = buildStoreForChildren();
  // The helper transpiles core and store; the children also need the audit writer.
  const from = path.resolve(import.meta.dirname, "../../../src/healing/audit");
  const to = path.join(build.dir, "src", "healing", "audit");
  fs.mkdirSync(to, { recursive: true, mode: 0o755 });
  for (const name of fs.readdirSync(from).filter((n) => n.endsWith(".ts") && !n.endsWith(".test.ts"))) {
    const out = ts.transpileModule(fs.readFileSync(path.join(from, name), "utf8"), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    fs.writeFileSync(path.join(to, name.replace(/\.ts$/, ".js")), out.outputText);
  }
});

afterAll(async () => {
  build.cleanup();
  fs.rmSync(tmp, { recursive: true, force: true });
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  for (const s of schemas) await client.query(`drop schema if exists ${s} cascade`);
  await client.end();
});

type Target = { kind: "sqlite"; file: string } | { kind: "postgres"; schema: string };

const open = (t: Target): Promise<Store> =>
  t.kind === "sqlite" ? createSqliteStore({ file: t.file }) : createPostgresStore({ connectionString: pgUrl, schema: t.schema, poolSize: 3 });

/** The whole chain as stored, checked against the store's head, plus every writer's own order. */
async function expectOneChain(t: Target, total: number, writers: string[]): Promise<StoredAuditRecord[]> {
  const store = await open(t);
  try {
    const records = await store.audit.list();
    expect(verifyChain(records, { anchors: [await store.audit.head()] })).toMatchObject({ ok: true, count: total });
    for (const w of writers) {
      const own = records.filter((r) => r.actor === `agent:${w}`).map((r) => (r.data as { i: number }).i);
      expect(own, `${w} appends in its own order`).toEqual(own.map((_, i) => i));
    }
    return records;
  } finally {
    await store.close();
  }
}

/**
 * Several stores (connection pools) in one process, each with its own audit log. PostgreSQL only:
 * better-sqlite3 blocks the thread while it waits for the file lock, so several SQLite connections
 * in one process would wait on each other (a process uses one SQLite store; see the processes test).
 */
async function appendFromInstances(t: Target): Promise<void> {
  const setup = await open(t);
  await setup.migrate();
  await setup.close();
  const stores = await Promise.all([open(t), open(t), open(t)]);
  try {
    const writers = ["a", "b", "c"];
    await Promise.all(
      stores.map(async (store, k) => {
        const log = createAuditLog({ store: store.audit, now: Date.now });
        await Promise.all(Array.from({ length: 15 }, (_, i) => log.append({ type: "RUNTIME_EMIT", actor: `agent:${writers[k]}`, subject: { app: "demo" }, data: { i } })));
      }),
    );
    await expectOneChain(t, 45, writers);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
}

// Each child opens its own store, waits for a shared start time so the appends overlap, appends
// one record at a time and prints the seqs it got.
const script = `
  import { createSqliteStore } from "./src/store/adapters/sqlite/create-sqlite-store.js";
  import { createPostgresStore } from "./src/store/adapters/postgres/create-postgres-store.js";
  import { createAuditLog } from "./src/healing/audit/create-audit-log.js";
  const [kind, target, schema, startAt, name, count] = process.argv.slice(2);
  const store = kind === "sqlite"
    ? await createSqliteStore({ file: target })
    : await createPostgresStore({ connectionString: target, schema, poolSize: 2 });
  const log = createAuditLog({ store: store.audit, now: Date.now });
  await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
  const seqs = [];
  for (let i = 0; i < Number(count); i++) {
    const r = await log.append({ type: "RL_DECISION", actor: "agent:" + name, subject: { decisionId: name + "-" + i }, data: { i, name } });
    seqs.push(r.seq);
    // A pause between appends: SQLite's busy handler is not fair, and without one a process
    // that holds the lock tends to take it again straight away.
    await new Promise((r) => setTimeout(r, 1 + (i % 3)));
  }
  await store.close();
  console.log(JSON.stringify(seqs));
`;

async function appendFromProcesses(t: Target, processes: number, each: number): Promise<void> {
  const setup = await open(t);
  await setup.migrate();
  await setup.close();
  const startAt = String(Date.now() + 1500);
  const names = Array.from({ length: processes }, (_, i) => `p${i}`);
  const target = t.kind === "sqlite" ? [t.file, ""] : [pgUrl, t.schema];
  const results = await Promise.all(names.map((name) => runChild(build, "audit-append", script, [t.kind, ...target, startAt, name, String(each)])));
  for (const r of results) expect(r.exitCode, r.stderr).toBe(0);
  const seqs = results.map((r) => JSON.parse(r.stdout) as number[]);
  expect(seqs.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: processes * each }, (_, i) => i + 1));
  const records = await expectOneChain(t, processes * each, names);
  // The appends really interleaved: no process got one contiguous block of seqs.
  const blocks = seqs.filter((s) => s.at(-1)! - s[0]! === s.length - 1);
  expect(blocks.length, "appends interleaved across processes").toBeLessThan(processes);
  expect(records.length).toBe(processes * each);
}

describe("one audit chain from many writers", () => {
  it("postgres: three store instances on one schema", () => appendFromInstances({ kind: "postgres", schema: newSchema() }));

  it("sqlite: three processes appending at once", () => appendFromProcesses({ kind: "sqlite", file: path.join(tmp, "processes.db") }, 3, 40));

  it("postgres: three processes appending at once", () => appendFromProcesses({ kind: "postgres", schema: newSchema() }, 3, 40));
});
