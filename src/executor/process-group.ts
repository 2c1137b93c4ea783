import { performance } from "node:perf_hooks";
import { coerceError } from "../core/errors.js";
import type { ExecOutcome } from "./port.js";

/** Signals a whole process group; a group that is already gone is not an error. */
export function killGroup(pgid: number | undefined, sig: NodeJS.Signals): void {
  if (pgid === undefined || pgid <= 1) return;
  try {
    process.kill(-pgid, sig);
  } catch {
    // ESRCH: every member has exited. Nothing else is expected for a group we spawned ourselves,
    // and kills run from timers, where a throw would take the whole agent down.
  }
}

/** The outcome of a step that never started. */
export function notStarted(startedAt: number, fields: Partial<ExecOutcome>): ExecOutcome {
  return {
    exitCode: null,
    signal: null,
    timedOut: false,
    cancelled: false,
    spawnError: null,
    durationMs: Math.round(performance.now() - startedAt),
    outputBytes: 0,
    truncatedBytes: 0,
    pid: null,
    ...fields,
  };
}

/** The errno code (`ENOENT`, `ESRCH`, …) of a Node system error, if it is one. */
export function errnoCode(e: unknown): string | undefined {
  const cause = coerceError(e).cause as NodeJS.ErrnoException | undefined;
  return typeof cause?.code === "string" ? cause.code : undefined;
}
