import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createSqliteStore } from "../../src/store/adapters/sqlite/create-sqlite-store.js";
import { defineStoreConformance } from "../../src/store/conformance.js";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "pitstop-sqlite-"));
let counter = 0;

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

// A fresh file per test, in a directory that does not exist yet (the store creates it).
defineStoreConformance("sqlite (file)", () => createSqliteStore({ file: path.join(root, `t${++counter}`, "data", "pitstop.db") }));
defineStoreConformance("sqlite (:memory:)", () => createSqliteStore({ memory: true }));

describe("sqlite store file", () => {
  it("uses WAL and keeps data across reopening", async () => {
    const file = path.join(root, "reopen", "pitstop.db");
    const first = await createSqliteStore({ file });
    await first.migrate();
    await first.orchestrators.heartbeat({ id: "o", host: "h", pid: 1, startedAt: 1, heartbeatAt: 2 });
    await first.close();
    expect(fs.existsSync(file)).toBe(true);
    const header = fs.readFileSync(file).subarray(18, 20);
    expect([...header]).toEqual([2, 2]); // file format read/write version 2 = WAL
    const second = await createSqliteStore({ file: path.relative(process.cwd(), file) });
    await second.migrate();
    expect(await second.orchestrators.listOrchestrators()).toHaveLength(1);
    await second.close();
  });
});
