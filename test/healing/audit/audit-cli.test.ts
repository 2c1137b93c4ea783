import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import Database from "better-sqlite3";
import { Command } from "commander";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { registerAuditCommand } from "../../../src/cli/commands/audit.js";
import type { CliIO } from "../../../src/cli/io.js";
import type { AuditEventType } from "../../../src/core/healing/audit-record.js";
import { createAuditLog } from "../../../src/healing/audit/create-audit-log.js";
import { createSqliteStore } from "../../../src/store/adapters/sqlite/create-sqlite-store.js";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "pitstop-audit-cli-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

const sink = (chunks: string[]): Writable =>
  new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });

/** `pitstop audit …` in-process, as main.ts would run it (global --data-dir, exit code via setExit). */
async function pitstop(cwd: string, ...args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const io: CliIO = { stdout: sink(out), stderr: sink(err), stdin: Readable.from([]), env: {}, cwd, isTTY: false };
  const program = new Command()
    .name("pitstop")
    .option("--data-dir <dir>")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  registerAuditCommand(program, { io, setExit: (c) => (code = c), globals: () => program.opts<{ dataDir?: string }>() });
  await program.parseAsync(["node", "pitstop", ...args]);
  return { code, stdout: out.join(""), stderr: err.join("") };
}

const LOOP: AuditEventType[] = ["INCIDENT_OPENED", "RL_DECISION", "ORCH_EXEC", "ACTION_VERIFIED", "SYSTEM_STABLE"];

/** A project directory whose .pitstop store holds `n` audit records. */
async function projectWithRecords(n: number): Promise<{ cwd: string; db: string }> {
  const cwd = fs.mkdtempSync(path.join(root, "project-"));
  const db = path.join(cwd, ".pitstop", "pitstop.db");
  const store = await createSqliteStore({ file: db });
  await store.migrate();
  let clock = 1_700_000_000_000;
  const log = createAuditLog({ store: store.audit, now: () => (clock += 1000) });
  for (let i = 0; i < n; i++) {
    await log.append({ type: LOOP[i % LOOP.length]!, actor: i % 2 ? "system" : "agent:healer", subject: { incidentId: "inc-1", env: "stage" }, data: { step: i + 1, action: "restart" } });
  }
  await store.close();
  return { cwd, db };
}

function editLines(file: string, edit: (lines: string[]) => string[]): void {
  const lines = fs.readFileSync(file, "utf8").trimEnd().split("\n");
  fs.writeFileSync(file, `${edit(lines).join("\n")}\n`);
}

describe("pitstop audit verify (store)", () => {
  it("an empty log is intact", async () => {
    const { cwd } = await projectWithRecords(0);
    expect(await pitstop(cwd, "audit", "verify")).toEqual({ code: 0, stdout: "audit chain intact: 0 records\n", stderr: "" });
  });

  it("an intact log: exit 0, the count and the head to anchor", async () => {
    const { cwd } = await projectWithRecords(7);
    const r = await pitstop(cwd, "audit", "verify");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^audit chain intact: 7 records\nhead: 7:[0-9a-f]{64}\n/);
  });

  it("a row edited in the database: exit 1 naming the record", async () => {
    const { cwd, db } = await projectWithRecords(6);
    const raw = new Database(db);
    raw.prepare("update audit_records set data = ? where seq = 2").run(JSON.stringify({ step: 2, action: "rollback" }));
    raw.close();
    const r = await pitstop(cwd, "audit", "verify");
    expect(r).toMatchObject({ code: 1, stdout: "audit chain broken: record 2 (RL_DECISION) was edited: its hash does not match its content\n" });
  });

  it("rows deleted from the end: the store's head row gives it away", async () => {
    const { cwd, db } = await projectWithRecords(6);
    const raw = new Database(db);
    raw.prepare("delete from audit_records where seq >= 5").run();
    raw.close();
    const r = await pitstop(cwd, "audit", "verify", "--json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, seq: 5, reason: "removed", message: expect.stringContaining("records 5–6 were removed from the end") });
  });

  it("honours --data-dir", async () => {
    const { cwd } = await projectWithRecords(3);
    const elsewhere = fs.mkdtempSync(path.join(root, "elsewhere-"));
    expect((await pitstop(elsewhere, "--data-dir", path.join(cwd, ".pitstop"), "audit", "verify")).stdout).toMatch(/^audit chain intact: 3 records/);
  });
});

describe("pitstop audit export and verify --file", () => {
  let cwd: string;
  let file: string;
  beforeEach(async () => {
    ({ cwd } = await projectWithRecords(20));
    file = path.join(cwd, "audit.jsonl");
    const r = await pitstop(cwd, "audit", "export", "--out", "audit.jsonl");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote 20 records to audit\.jsonl; head: 20:[0-9a-f]{64}\n$/);
    expect(fs.readdirSync(cwd).filter((f) => f.includes("partial"))).toEqual([]);
  });

  it("exports JSONL to stdout by default, the same as --out", async () => {
    const r = await pitstop(cwd, "audit", "export");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(fs.readFileSync(file, "utf8"));
    expect(r.stdout.trimEnd().split("\n").map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it("an untouched export is intact", async () => {
    const r = await pitstop(cwd, "audit", "verify", "--file", "audit.jsonl");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^audit chain intact: 20 records\nhead: 20:/);
  });

  it("an edited field: exit 1 naming the record and the line", async () => {
    editLines(file, (ls) => ls.map((l, i) => (i === 16 ? l.replace('"action":"restart"', '"action":"rollback"') : l)));
    const r = await pitstop(cwd, "audit", "verify", "--file", "audit.jsonl");
    expect(r).toEqual({ code: 1, stdout: "audit chain broken at audit.jsonl:17: record 17 (RL_DECISION) was edited: its hash does not match its content\n", stderr: "" });
  });

  it("a removed line, and swapped lines", async () => {
    editLines(file, (ls) => ls.filter((_, i) => i !== 9));
    expect(await pitstop(cwd, "audit", "verify", "-f", "audit.jsonl")).toMatchObject({
      code: 1, stdout: "audit chain broken at audit.jsonl:10: record 10 was removed: record 9 (ACTION_VERIFIED) is followed by record 11 (INCIDENT_OPENED)\n",
    });
    await pitstop(cwd, "audit", "export", "--out", "audit.jsonl");
    editLines(file, (ls) => [...ls.slice(0, 3), ls[4]!, ls[3]!, ...ls.slice(5)]);
    expect(await pitstop(cwd, "audit", "verify", "-f", "audit.jsonl")).toMatchObject({
      code: 1, stdout: "audit chain broken at audit.jsonl:4: record 5 (SYSTEM_STABLE) is out of order: it comes before record 4 (ACTION_VERIFIED)\n",
    });
  });

  it("a truncated export passes on its own and fails against the anchored head", async () => {
    const head = /head: (\d+:[0-9a-f]{64})/.exec((await pitstop(cwd, "audit", "verify")).stdout)![1]!;
    editLines(file, (ls) => ls.slice(0, 18));
    expect((await pitstop(cwd, "audit", "verify", "--file", "audit.jsonl")).code).toBe(0);
    const r = await pitstop(cwd, "audit", "verify", "--file", "audit.jsonl", "--anchor", head);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("records 19–20 were removed from the end");
  });

  it("malformed input: exit 2 with file:line", async () => {
    editLines(file, (ls) => ls.map((l, i) => (i === 4 ? l.slice(0, 30) : l)));
    const bad = await pitstop(cwd, "audit", "verify", "--file", "audit.jsonl");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^pitstop: audit\.jsonl:5(:\d+)?: not valid JSON/);
    expect(bad.stdout).toBe("");

    await pitstop(cwd, "audit", "export", "--out", "audit.jsonl");
    editLines(file, (ls) => ls.map((l, i) => (i === 2 ? l.replace(/,"hash":"[0-9a-f]+"/, "") : l)));
    const missing = await pitstop(cwd, "audit", "verify", "--file", "audit.jsonl");
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringMatching(/^pitstop: audit\.jsonl:3: missing field "hash"/) });
  });

  it("a missing file, a bad --anchor and an unwritable --out: exit 2", async () => {
    expect(await pitstop(cwd, "audit", "verify", "--file", "nope.jsonl")).toMatchObject({ code: 2, stderr: expect.stringMatching(/^pitstop: cannot read the audit export nope\.jsonl: .*no such file/) });
    expect(await pitstop(cwd, "audit", "verify", "--anchor", "20:xyz")).toMatchObject({ code: 2, stderr: expect.stringContaining("expected <seq>:<64 hex digits>") });
    expect(await pitstop(cwd, "audit", "export", "--out", "missing-dir/a.jsonl")).toMatchObject({ code: 2, stderr: expect.stringContaining("cannot write missing-dir/a.jsonl") });
  });
});
