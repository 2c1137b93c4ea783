import { ErrorCode, PitstopError } from "../core/errors.js";
import type { ExecLimits } from "./port.js";

const SHELL = "/bin/sh";

/**
 * The argv that runs a step's command: `/bin/sh -c <command>`, or, with limits, a first shell that
 * sets them with `ulimit` and then `exec`s the real one (same pid, so the process group, the exit
 * status and the signals are the command's own). `ulimit -v` caps the address space, not the
 * resident memory: it is the cheap limit available without cgroups, and runtimes that reserve
 * large virtual ranges (JVM, some Node builds with wasm) need a generous value.
 * Throws PitstopError(USAGE) for a limit that is not a positive whole number.
 */
export function shellArgv(command: string, limits?: ExecLimits): string[] {
  const setters: string[] = [];
  if (limits?.memoryBytes !== undefined) {
    const kib = Math.floor(positiveInteger("memoryBytes", limits.memoryBytes) / 1024);
    if (kib < 1) throw invalid("memoryBytes", limits.memoryBytes);
    setters.push(`ulimit -v ${kib}`);
  }
  if (limits?.cpuSeconds !== undefined) {
    // Soft limit → SIGXCPU (a reason the step can see); a hard limit one second later → SIGKILL
    // for a process that ignores it. With both equal, the kernel goes straight to SIGKILL.
    const seconds = positiveInteger("cpuSeconds", limits.cpuSeconds);
    setters.push(`ulimit -S -t ${seconds}`, `ulimit -H -t ${seconds + 1}`);
  }
  if (setters.length === 0) return [SHELL, "-c", command];
  // Exit 125 (like `env`/`timeout` for their own failures) if the shell refuses a limit.
  const prelude = setters.map((s) => `${s} || exit 125`).join("; ");
  return [SHELL, "-c", `${prelude}; exec ${SHELL} -c "$1"`, "sh", command];
}

function positiveInteger(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw invalid(field, value);
  return value;
}

function invalid(field: string, value: number): PitstopError {
  return new PitstopError(ErrorCode.USAGE, `limits.${field} must be a positive whole number, got ${value}: fix the step's limits`, {
    details: { field: `limits.${field}`, value },
  });
}
