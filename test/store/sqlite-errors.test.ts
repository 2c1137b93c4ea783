import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PitstopError } from "../../src/core/errors.js";
import { createSqliteStore } from "../../src/store/adapters/sqlite/create-sqlite-store.js";
import { buildStoreForChildren, runChild } from "./helpers/store-child.js";
import type { StoreBuild } from "./helpers/store-child.js";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "pitstop-sqlite-errors-"));
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

async function openError(file: string): Promise<PitstopError> {
  const e = await createSqliteStore({ file }).then(
    async (store) => {
      await store.close();
      return null;
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(PitstopError);
  return e as PitstopError;
}

function expectUnwritable(e: { code: string; message: string }, file: string): void {
  expect(e.code).toBe("DATA_DIR_UNWRITABLE");
  expect(e.message).toContain(file);
  expect(e.message).toContain("Choose another --data-dir or PITSTOP_DATA_DIR, or fix permissions");
}

describe("sqlite store: unwritable data directory", () => {
  it("a path under a regular file", async () => {
    const blocker = path.join(root, "a-file");
    fs.writeFileSync(blocker, "not a directory");
    const direct = path.join(blocker, "pitstop.db");
    const e1 = await openError(direct);
    expectUnwritable(e1, direct);
    expect(e1.message).toContain("is a file, not a directory");
    const deeper = path.join(blocker, "sub", "pitstop.db");
    expectUnwritable(await openError(deeper), deeper);
  });

  it("a directory on a filesystem that refuses new entries (/proc, /sys) fails at once", async () => {
    // Node's recursive mkdir would spin forever on /proc/<new dir>; the store must not.
    for (const file of ["/proc/pitstop-test/db.sqlite", "/proc/pitstop-test/a/b/db.sqlite", "/sys/pitstop-test/db.sqlite", "/proc/db.sqlite"]) {
      const e = await openError(file);
      expectUnwritable(e, file);
    }
  });

  it("the database path is a directory", async () => {
    const file = path.join(root, "is-a-dir.db");
    fs.mkdirSync(file);
    const e = await openError(file);
    expectUnwritable(e, file);
    expect(e.message).toContain("it is a directory");
  });

  it("a file that is not a SQLite database is STORE_UNAVAILABLE, not overwritten", async () => {
    const file = path.join(root, "notes.db");
    fs.writeFileSync(file, "x".repeat(4096));
    const e = await openError(file);
    expect(e.code).toBe("STORE_UNAVAILABLE");
    expect(e.message).toContain(file);
    expect(fs.readFileSync(file, "utf8")).toBe("x".repeat(4096));
  });

  it.skipIf(isRoot)("a read-only directory (non-root run)", async () => {
    const dir = path.join(root, "ro-dir");
    fs.mkdirSync(dir, { mode: 0o555 });
    const file = path.join(dir, "pitstop.db");
    expectUnwritable(await openError(file), file);
  });
});

// Root ignores permission bits, so the permission cases run the real store as `nobody`.
describe.skipIf(!isRoot)("sqlite store: permissions, as an unprivileged user", () => {
  let build: StoreBuild;
  const script = `
    import { createSqliteStore } from "./src/store/adapters/sqlite/create-sqlite-store.js";
    try {
      const store = await createSqliteStore({ file: process.argv[2] });
      await store.migrate();
      await store.close();
      console.log(JSON.stringify({ ok: true }));
    } catch (e) {
      console.log(JSON.stringify({ ok: false, code: e.code, message: e.message }));
    }
  `;
  const asNobody = async (file: string) => {
    const r = await runChild(build, "open-as-nobody", script, [file], { uid: NOBODY });
    expect(r.exitCode, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { ok: boolean; code: string; message: string };
  };

  beforeAll(() => {
    build = buildStoreForChildren();
    fs.chmodSync(root, 0o755);
  });
  afterAll(() => build.cleanup());

  it("a directory owned by someone else", async () => {
    const dir = path.join(root, "root-owned");
    fs.mkdirSync(dir, { mode: 0o755 });
    for (const file of [path.join(dir, "pitstop.db"), path.join(dir, "new-sub", "pitstop.db")]) {
      expectUnwritable(await asNobody(file), file);
    }
  });

  it("a read-only database file in a writable directory", async () => {
    const dir = path.join(root, "shared");
    fs.mkdirSync(dir, { mode: 0o777 });
    fs.chmodSync(dir, 0o777);
    const file = path.join(dir, "pitstop.db");
    const store = await createSqliteStore({ file });
    await store.migrate();
    await store.close();
    fs.chmodSync(file, 0o644);
    expectUnwritable(await asNobody(file), file);
  });

  it("the same store works as that user in its own directory (the check is not vacuous)", async () => {
    const dir = path.join(root, "nobody-home");
    fs.mkdirSync(dir, { mode: 0o777 });
    fs.chmodSync(dir, 0o777);
    expect(await asNobody(path.join(dir, "deep", "pitstop.db"))).toEqual({ ok: true });
  });
});
