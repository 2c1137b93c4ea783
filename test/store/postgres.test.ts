import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { isPitstopError } from "../../src/core/errors.js";
import { createPostgresStore } from "../../src/store/adapters/postgres/create-postgres-store.js";
import { defineStoreConformance } from "../../src/store/conformance.js";

const url = process.env.PITSTOP_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const prefix = `pitstop_store_${process.pid}_${Date.now().toString(36)}`;
const schemas: string[] = [];
const newSchema = (): string => {
  const schema = `${prefix}_${schemas.length}`;
  schemas.push(schema);
  return schema;
};

afterAll(async () => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const s of schemas) await client.query(`drop schema if exists ${s} cascade`);
  } finally {
    await client.end();
  }
});

// A fresh schema per test: the store creates it and sets search_path on every pooled connection.
defineStoreConformance("postgres", () => createPostgresStore({ connectionString: url, schema: newSchema(), poolSize: 4 }));

describe("postgres store", () => {
  it("keeps its tables in its own schema and migrates concurrently without errors", async () => {
    const schema = newSchema();
    const stores = await Promise.all([1, 2, 3].map(() => createPostgresStore({ connectionString: url, schema, poolSize: 2 })));
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      const run = await stores[0]!.runs.createRun(
        { id: "r", status: "queued", pipelineFile: "p.yml", workspace: "/w", plan: { version: 1, pipelineFile: "p.yml", form: "full", env: {}, jobs: [] }, trigger: { source: "api", by: null }, branch: null, commit: null, env: {}, createdAt: 1, ownerId: null },
        [],
        1,
      );
      expect((await stores[2]!.runs.getRun("r"))?.number).toBe(run.number);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query<{ table_name: string }>(
        "select table_name from information_schema.tables where table_schema = $1 order by table_name",
        [schema],
      );
      await client.end();
      expect(rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(["runs", "logs", "kysely_migration"]));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it("rejects an unreachable server with STORE_UNAVAILABLE naming host:port", async () => {
    const e = await createPostgresStore({ connectionString: "postgres://postgres@127.0.0.1:1/test" }).catch((err: unknown) => err);
    expect(isPitstopError(e, "STORE_UNAVAILABLE")).toBe(true);
    expect((e as Error).message).toContain("127.0.0.1:1");
    expect((e as Error).message).toMatch(/running/);
  });

  it("rejects a missing database with STORE_UNAVAILABLE and says how to create it", async () => {
    const missing = url.replace(/\/[^/]*$/, "/pitstop_no_such_db");
    const e = await createPostgresStore({ connectionString: missing }).catch((err: unknown) => err);
    expect(isPitstopError(e, "STORE_UNAVAILABLE")).toBe(true);
    expect((e as Error).message).toContain("createdb pitstop_no_such_db");
  });

  it("rejects an invalid schema name with USAGE", async () => {
    const e = await createPostgresStore({ connectionString: url, schema: "bad; drop" }).catch((err: unknown) => err);
    expect(isPitstopError(e, "USAGE")).toBe(true);
  });
});
