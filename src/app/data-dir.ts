import { mkdir, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { ErrorCode, PitstopError, coerceError } from "../core/errors.js";

/** Creates the data directory and proves it is writable, with an error that says what to do. */
export async function ensureDataDir(dir: string): Promise<void> {
  try {
    await makeDirs(path.resolve(dir));
    const probe = path.join(dir, `.write-test-${process.pid}`);
    await writeFile(probe, "");
    await rm(probe);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    throw new PitstopError(
      ErrorCode.DATA_DIR_UNWRITABLE,
      `data directory ${dir} is not writable (${code}): choose another with --data-dir or PITSTOP_DATA_DIR, or fix its permissions`,
      { cause: e, details: { dataDir: dir } },
    );
  }
}

/**
 * mkdir -p, one level at a time: Node 20's recursive mkdir spins forever under a parent that
 * refuses new entries (e.g. /proc/x), so it is not used here.
 */
async function makeDirs(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let cur = dir; ; cur = path.dirname(cur)) {
    const st = await stat(cur).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return null;
      throw e;
    });
    if (st) {
      if (!st.isDirectory()) throw Object.assign(new Error(`${cur} is not a directory`), { code: "ENOTDIR" });
      break;
    }
    missing.unshift(cur);
    if (path.dirname(cur) === cur) break;
  }
  for (const d of missing) {
    await mkdir(d).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "EEXIST") throw e;
    });
  }
}

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * The embedded bus lives in one process, so one pitstop process at a time may drive a data
 * directory in embedded mode. A lock left by a dead process is taken over (its runs get adopted).
 */
export async function lockDataDir(dir: string, owner: string): Promise<DataDirLock> {
  const file = path.join(dir, "pitstop.lock");
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fh = await open(file, "wx");
      await fh.writeFile(JSON.stringify({ pid: process.pid, owner }));
      await fh.close();
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await rm(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw coerceError(e);
      const holder = await readFile(file, "utf8").then((t) => JSON.parse(t) as { pid?: number }).catch(() => ({ pid: undefined }));
      if (typeof holder.pid === "number" && holder.pid !== process.pid && isPidAlive(holder.pid)) {
        throw new PitstopError(
          ErrorCode.DATA_DIR_LOCKED,
          `another pitstop (pid ${holder.pid}) is running on data directory ${dir}: wait for it, stop it, or use another --data-dir (or Redis and PostgreSQL for several at once)`,
          { details: { dataDir: dir, pid: holder.pid } },
        );
      }
      await rm(file, { force: true });
    }
  }
  throw new PitstopError(ErrorCode.DATA_DIR_LOCKED, `could not lock data directory ${dir}`);
}
