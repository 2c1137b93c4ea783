import { ErrorCode, PitstopError, coerceError } from "../../../core/errors.js";

const WHAT_TO_DO = "Choose another --data-dir or PITSTOP_DATA_DIR, or fix permissions.";

/** The `code` of a Node or better-sqlite3 error (`EACCES`, `SQLITE_READONLY_DIRECTORY`…). */
export function errorCodeOf(e: unknown): string | undefined {
  if (e instanceof PitstopError) return errorCodeOf(e.cause);
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function messageOf(e: unknown): string {
  return e instanceof PitstopError && e.cause !== undefined ? messageOf(e.cause) : coerceError(e).message;
}

/** DATA_DIR_UNWRITABLE naming the database file and what to do about it. */
export function dataDirUnwritable(file: string, e: unknown, reason?: string): PitstopError {
  const code = errorCodeOf(e);
  return new PitstopError(
    ErrorCode.DATA_DIR_UNWRITABLE,
    `cannot write the pitstop database ${file}: ${reason ?? messageOf(e)}. ${WHAT_TO_DO}`,
    { cause: e, details: { path: file, ...(code === undefined ? {} : { errorCode: code }) } },
  );
}

/**
 * Maps better-sqlite3 errors to PitstopErrors: an unwritable file or directory is
 * DATA_DIR_UNWRITABLE; a lock held past the busy timeout, a full disk or a foreign file is
 * STORE_UNAVAILABLE. Anything else (constraint violations…) stays as `coerceError` makes it.
 */
export function createSqliteErrorTranslator(location: string): (e: unknown) => PitstopError {
  return (e: unknown): PitstopError => {
    const err = coerceError(e);
    if (e instanceof PitstopError) return err;
    const code = errorCodeOf(e) ?? "";
    const details = { path: location, errorCode: code };
    if (/^SQLITE_(READONLY|CANTOPEN|PERM|AUTH)/.test(code)) return dataDirUnwritable(location, e);
    if (/^SQLITE_(BUSY|LOCKED)/.test(code)) {
      return new PitstopError(
        ErrorCode.STORE_UNAVAILABLE,
        `the pitstop database ${location} stayed locked by another process for the whole busy timeout (${err.message}); retry, or stop the other pitstop process using this --data-dir`,
        { retryable: true, cause: e, details },
      );
    }
    if (/^SQLITE_(FULL|IOERR)/.test(code)) {
      return new PitstopError(
        ErrorCode.STORE_UNAVAILABLE,
        `cannot write the pitstop database ${location}: ${err.message}; free disk space or choose another --data-dir`,
        { retryable: true, cause: e, details },
      );
    }
    if (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT")) {
      return new PitstopError(
        ErrorCode.STORE_UNAVAILABLE,
        `${location} is not a usable pitstop database (${err.message}); move it away, or choose another --data-dir or PITSTOP_DATA_DIR`,
        { cause: e, details },
      );
    }
    return err;
  };
}
