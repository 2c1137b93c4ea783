import { ErrorCode, PitstopError, coerceError } from "../../../core/errors.js";

/** Where the store connects, for messages (never includes the password). */
export interface PostgresTarget {
  host: string;
  port: number;
  database: string;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);
/** SQLSTATEs meaning the server went away or will not take us right now. */
const SERVER_GONE_CODES = new Set(["57P01", "57P02", "57P03", "53300"]);
const AUTH_CODES = new Set(["28000", "28P01"]);
// pg reports these without a code.
const GONE_MESSAGES = [
  "Connection terminated",
  "timeout exceeded when trying to connect",
  "Client has encountered a connection error",
  "Connection refused",
];

function codeOf(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

function hintFor(code: string, target: PostgresTarget): { hint: string; retryable: boolean } | null {
  if (code === "ECONNREFUSED") return { hint: "is PostgreSQL running and listening there?", retryable: true };
  if (NETWORK_CODES.has(code) || SERVER_GONE_CODES.has(code) || code.startsWith("08")) {
    return { hint: "check that the server is up and reachable, then retry", retryable: true };
  }
  if (AUTH_CODES.has(code)) return { hint: "check the user and password in the connection string", retryable: false };
  if (code === "3D000") {
    return { hint: `create the database (createdb ${target.database}) or fix the connection string`, retryable: false };
  }
  return null;
}

/**
 * Maps pg errors that mean "the database cannot be reached" to STORE_UNAVAILABLE with host:port
 * and a hint; other errors (constraint violations…) stay as `coerceError` makes them.
 */
export function createPostgresErrorTranslator(target: PostgresTarget): (e: unknown) => PitstopError {
  return (e: unknown): PitstopError => {
    const err = coerceError(e);
    if (e instanceof PitstopError) return err;
    const code = codeOf(e);
    const known = hintFor(code, target);
    const gone = known ?? (GONE_MESSAGES.some((m) => err.message.includes(m)) ? { hint: "check that the server is up and reachable, then retry", retryable: true } : null);
    if (!gone) return err;
    const where = `${target.host}:${target.port}/${target.database}`;
    return new PitstopError(ErrorCode.STORE_UNAVAILABLE, `cannot use PostgreSQL at ${where}: ${err.message || code}; ${gone.hint}`, {
      retryable: gone.retryable,
      cause: e,
      details: { host: target.host, port: target.port, database: target.database, ...(code ? { errorCode: code } : {}) },
    });
  };
}
