/**
 * Domain errors: every error pitstop raises on purpose has a stable `code`, a `retryable` flag and
 * an optional `cause`. Every code is listed in docs/errors.md; `test/docs/errors-doc.test.ts` keeps the two in step.
 */
export const ErrorCode = {
  PIPELINE_INVALID: "PIPELINE_INVALID",
  PIPELINE_NOT_FOUND: "PIPELINE_NOT_FOUND",
  SECRET_MISSING: "SECRET_MISSING",
  USAGE: "USAGE",
  RUN_NOT_FOUND: "RUN_NOT_FOUND",
  JOB_NOT_FOUND: "JOB_NOT_FOUND",
  STALE_LEASE: "STALE_LEASE",
  DUPLICATE_RESULT: "DUPLICATE_RESULT",
  INVALID_TRANSITION: "INVALID_TRANSITION",
  MESSAGE_INVALID: "MESSAGE_INVALID",
  PROTOCOL_VERSION: "PROTOCOL_VERSION",
  NO_AGENT: "NO_AGENT",
  SANDBOX_UNAVAILABLE: "SANDBOX_UNAVAILABLE",
  PATH_ESCAPE: "PATH_ESCAPE",
  REPORT_INVALID: "REPORT_INVALID",
  DATA_DIR_UNWRITABLE: "DATA_DIR_UNWRITABLE",
  DATA_DIR_LOCKED: "DATA_DIR_LOCKED",
  STORE_UNAVAILABLE: "STORE_UNAVAILABLE",
  BUS_UNAVAILABLE: "BUS_UNAVAILABLE",
  BUS_CLOSED: "BUS_CLOSED",
  EXECUTOR_FAILED: "EXECUTOR_FAILED",
  DECISION_NOT_FOUND: "DECISION_NOT_FOUND",
  APPROVAL_INVALID: "APPROVAL_INVALID",
  POLICY_INVALID: "POLICY_INVALID",
  CONFLICT: "CONFLICT",
  INTERNAL: "INTERNAL",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface PitstopErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  /** Extra structured facts (file, path, runId…) for logs and JSON output. */
  details?: Record<string, unknown>;
}

export class PitstopError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: PitstopErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PitstopError";
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

/** A lease token that is no longer current: the result comes from a presumed-dead agent. */
export class StaleLeaseError extends PitstopError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCode.STALE_LEASE, message, { details });
    this.name = "StaleLeaseError";
  }
}

/** Normalises anything thrown into a PitstopError, keeping the original as `cause`. */
export function coerceError(e: unknown): PitstopError {
  if (e instanceof PitstopError) return e;
  if (e instanceof Error) return new PitstopError(ErrorCode.INTERNAL, e.message, { cause: e });
  return new PitstopError(ErrorCode.INTERNAL, typeof e === "string" ? e : JSON.stringify(e) ?? String(e));
}

export function isPitstopError(e: unknown, code?: ErrorCode): e is PitstopError {
  return e instanceof PitstopError && (code === undefined || e.code === code);
}
