import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { checkDirectory } from "../check-directory.js";
import { killGroup, notStarted } from "../process-group.js";
import type { ExecOutcome, ExecSpec, Executor, OutputLine } from "../port.js";
import { shellArgv } from "../shell-command.js";
import { superviseChild } from "../supervise-child.js";

/**
 * Runs steps as plain child processes: `/bin/sh -c <command>` with exactly `spec.env`, as the
 * leader of its own process group (`detached`), so timeout, cancellation and the final clean-up
 * reach every process the step started with one `kill(-pgid)`.
 *
 * Limits of the design: a process that calls setsid()/setpgid() itself (a daemonising server)
 * leaves the group and outlives the step; only the sandbox (PID namespace) or cgroups catch those.
 */
export function createProcessExecutor(): Executor {
  return {
    name: "process",
    run: (spec, onLine, signal) => runProcess(spec, onLine, signal),
  };
}

async function runProcess(spec: ExecSpec, onLine: (line: OutputLine) => void, signal?: AbortSignal): Promise<ExecOutcome> {
  const startedAt = performance.now();
  const argv = shellArgv(spec.command, spec.limits);
  if (signal?.aborted) return notStarted(startedAt, { cancelled: true });
  const cwdProblem = await checkDirectory(spec.cwd, "cwd");
  if (cwdProblem !== null) return notStarted(startedAt, { spawnError: cwdProblem });
  if (signal?.aborted) return notStarted(startedAt, { cancelled: true });

  const [file, ...args] = argv as [string, ...string[]];
  const child = spawn(file, args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  return superviseChild({
    child,
    spec,
    onLine,
    signal,
    startedAt,
    kill: (sig) => killGroup(child.pid, sig),
  });
}
