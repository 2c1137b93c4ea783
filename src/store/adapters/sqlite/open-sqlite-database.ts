import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { ErrorCode, coerceError, isPitstopError } from "../../../core/errors.js";
import { createSqliteErrorTranslator, dataDirUnwritable, errorCodeOf } from "./sqlite-errors.js";

/** How long a statement waits for another process's write lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Creates the missing directories one level at a time. Not `mkdirSync(dir, { recursive: true })`:
 * on Node 20 that spins forever when a parent refuses new entries with ENOENT (seen under /proc).
 */
function ensureDirectory(dir: string, file: string): void {
  const missing: string[] = [];
  let current = dir;
  for (;;) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(current);
    } catch (e) {
      const err = coerceError(e);
      const parent = path.dirname(current);
      if (errorCodeOf(err) !== "ENOENT" || parent === current) throw err;
      missing.unshift(current);
      current = parent;
      continue;
    }
    if (!stat.isDirectory()) throw dataDirUnwritable(file, null, `${current} is a file, not a directory`);
    break;
  }
  for (const d of missing) fs.mkdirSync(d);
}

/** Catches what SQLite would report later, or vaguely ("unable to open database file"). */
function checkWritable(file: string): void {
  const dir = path.dirname(file);
  ensureDirectory(dir, file);
  // SQLite creates `-wal` and `-shm` files next to the database, so the directory must be writable too.
  fs.accessSync(dir, fs.constants.W_OK);
  let stat: fs.Stats | null = null;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    if (errorCodeOf(coerceError(e)) !== "ENOENT") throw coerceError(e);
  }
  if (stat?.isDirectory()) throw dataDirUnwritable(file, null, "it is a directory");
  if (stat) fs.accessSync(file, fs.constants.R_OK | fs.constants.W_OK);
}

/** The pragmas every connection gets (WAL only applies to files). */
export function configureConnection(db: Database.Database, wal: boolean): void {
  // WAL: readers never block the writer; synchronous=NORMAL is durable across process crashes in
  // WAL mode (only a power loss can drop the last commits) and saves an fsync per commit.
  if (wal) db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma("foreign_keys = ON");
}

/**
 * Opens (creating it and its directory if needed) the database file, or fails with
 * DATA_DIR_UNWRITABLE naming the path when it cannot be written.
 */
export function openSqliteFile(file: string): Database.Database {
  const absolute = path.resolve(file);
  try {
    checkWritable(absolute);
  } catch (e) {
    throw isPitstopError(e, ErrorCode.DATA_DIR_UNWRITABLE) ? e : dataDirUnwritable(absolute, coerceError(e));
  }
  let db: Database.Database | null = null;
  try {
    db = new Database(absolute, { timeout: BUSY_TIMEOUT_MS });
    configureConnection(db, true);
    return db;
  } catch (e) {
    db?.close();
    throw createSqliteErrorTranslator(absolute)(e);
  }
}
