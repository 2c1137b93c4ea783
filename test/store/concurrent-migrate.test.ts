import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildStoreForChildren, runChild } from "./helpers/store-child.js";
import type { StoreBuild } from "./helpers/store-child.js";

const pgUrl = process.env.PITSTOP_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const PROCESSES = 3;
const RUNS_EACH = 5;

// Each child opens the store, waits for a shared start time (so the migrations really overlap),
// migrates, creates runs and prints their numbers.
const script = `
  import { createSqliteStore } from "./src/store/adapters/sqlite/create-sqlite-store.js";
  import { createPostgresStore } from "./src/store/adapters/postgres/create-postgres-store.js";
  const [kind, target, schema, startAt, name] = process.argv.slice(2);
  const store = kind === "sqlite"
    ? await createSqliteStore({ file: target })
    : await createPostgresStore({ connectionString: target, schema, poolSize: 2 });
  await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
  await store.migrate();
  const plan = { version: 1, pipelineFile: "p.yml", form: "full", env: {}, jobs: [] };
  const numbers = [];
  for (let i = 0; i < ${RUNS_EACH}; i++) {
    const run = await store.runs.createRun({ id: name + "-" + i, status: "queued", pipelineFile: "p.yml", workspace: "/w",
      plan, trigger: { source: "cli", by: name }, branch: null, commit: null, env: {}, createdAt: i, ownerId: null },
      [{ jobId: "a", name: "a", kind: "shell" }], i);
    numbers.push(run.number);
  }
  await store.close();
  console.log(JSON.stringify(numbers));
`;

let build: StoreBuild;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pitstop-concurrent-"));
const schema = `pitstop_concurrent_${process.pid}_${Date.now().toString(36)}`;

beforeAll(() => {
  build = buildStoreForChildren();
});

afterAll(async () => {
  build.cleanup();
  fs.rmSync(tmp, { recursive: true, force: true });
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
});

async function runConcurrently(kind: string, target: string, schemaName: string): Promise<number[]> {
  const startAt = String(Date.now() + 1500);
  const results = await Promise.all(
    Array.from({ length: PROCESSES }, (_, i) => runChild(build, "migrate-and-create", script, [kind, target, schemaName, startAt, `p${i}`])),
  );
  for (const r of results) expect(r.exitCode, r.stderr).toBe(0);
  return results.flatMap((r) => JSON.parse(r.stdout) as number[]);
}

const allNumbers = Array.from({ length: PROCESSES * RUNS_EACH }, (_, i) => i + 1);

describe("several processes on one store", () => {
  it("sqlite: migrate concurrently and number runs without gaps or duplicates", async () => {
    const numbers = await runConcurrently("sqlite", path.join(tmp, "data", "pitstop.db"), "");
    expect(numbers.sort((a, b) => a - b)).toEqual(allNumbers);
  });

  it("postgres: migrate concurrently and number runs without gaps or duplicates", async () => {
    const numbers = await runConcurrently("postgres", pgUrl, schema);
    expect(numbers.sort((a, b) => a - b)).toEqual(allNumbers);
  });
});
