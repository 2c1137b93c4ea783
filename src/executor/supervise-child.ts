import type { ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import { ErrorCode, PitstopError, coerceError } from "../core/errors.js";
import { createLineDecoder, createOutputBudget } from "./line-decoder.js";
import type { ExecOutcome, ExecSpec, OutputLine } from "./port.js";

/** Default grace between SIGTERM and SIGKILL (port contract). */
export const DEFAULT_KILL_GRACE_MS = 2000;
/**
 * How long to wait for stdout/stderr to close once the leader has exited. A background grandchild
 * that inherited the pipes keeps them open forever; half a second is far longer than the kernel
 * needs to flush what the leader wrote, and short enough not to slow every step.
 */
export const PIPE_GRACE_MS = 500;

export interface SuperviseOptions {
  child: ChildProcess;
  spec: ExecSpec;
  onLine: (line: OutputLine) => void;
  signal: AbortSignal | undefined;
  startedAt: number;
  /** Signals everything the step started (the adapter knows which process groups that means). */
  kill: (sig: "SIGTERM" | "SIGKILL") => void;
  /** The real exit status when the leader is a wrapper (the sandbox); null = use the leader's own. */
  exitStatus?: (leader: { code: number | null; signal: string | null }) => { exitCode: number | null; signal: string | null };
  /** Replaces the outcome's spawnError when the adapter learns the job never started. */
  setupError?: () => string | null;
}

/**
 * Watches a spawned step until it is over: decodes its output, enforces timeout and cancellation
 * (SIGTERM, then SIGKILL after the grace), and resolves once the leader has exited and its pipes
 * have closed (or {@link PIPE_GRACE_MS} passed). Whatever the step left running in its group is
 * killed then, so a step never leaks processes. Rejects only when `onLine` throws.
 */
export function superviseChild(options: SuperviseOptions): Promise<ExecOutcome> {
  const { child, spec, signal, kill } = options;
  const budget = createOutputBudget(spec.outputLimitBytes);
  let callbackError: unknown = null;
  const deliver = (stream: OutputLine["stream"]) => (text: string) => {
    if (callbackError !== null) return;
    try {
      options.onLine({ stream, text });
    } catch (e) {
      callbackError = e;
      terminate();
    }
  };
  const decoders = {
    stdout: createLineDecoder({ budget, onLine: deliver("stdout") }),
    stderr: createLineDecoder({ budget, onLine: deliver("stderr") }),
  };
  child.stdout?.on("data", (chunk: Buffer) => decoders.stdout.write(chunk));
  child.stderr?.on("data", (chunk: Buffer) => decoders.stderr.write(chunk));

  let timedOut = false;
  let cancelled = false;
  let terminating = false;
  let spawnError: string | null = null;
  let leader: { code: number | null; signal: string | null } | null = null;
  const timers: NodeJS.Timeout[] = [];

  function terminate(): void {
    if (terminating) return;
    terminating = true;
    kill("SIGTERM");
    timers.push(setTimeout(() => kill("SIGKILL"), spec.killGraceMs ?? DEFAULT_KILL_GRACE_MS).unref());
  }
  const onAbort = (): void => {
    if (leader !== null) return;
    cancelled = true;
    terminate();
  };
  if (spec.timeoutMs !== null) {
    timers.push(setTimeout(() => {
      if (leader !== null) return;
      timedOut = true;
      terminate();
    }, Math.max(0, spec.timeoutMs)));
  }
  signal?.addEventListener("abort", onAbort, { once: true });

  return new Promise<ExecOutcome>((resolve, reject) => {
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      for (const t of timers) clearTimeout(t);
      signal?.removeEventListener("abort", onAbort);
      if (child.pid !== undefined) kill("SIGKILL"); // reap leftovers of the group (ESRCH is fine)
      for (const stream of child.stdio) stream?.destroy();
      decoders.stdout.end();
      decoders.stderr.end();
      if (callbackError !== null) {
        const cause = coerceError(callbackError);
        reject(new PitstopError(ErrorCode.EXECUTOR_FAILED, `the output callback threw, so the step was stopped: ${cause.message}`, { cause }));
        return;
      }
      const status = leader === null ? { exitCode: null, signal: null } : options.exitStatus?.(leader) ?? { exitCode: leader.code, signal: leader.signal };
      resolve({
        ...status,
        timedOut,
        cancelled,
        spawnError: spawnError ?? options.setupError?.() ?? null,
        durationMs: Math.round(performance.now() - options.startedAt),
        outputBytes: budget.deliveredBytes,
        truncatedBytes: budget.truncatedBytes,
        pid: child.pid ?? null,
      });
    };
    child.on("error", (e) => {
      // Spawn failures (EACCES, EPERM for a uid switch, …) come here, before "close", with no pid.
      if (child.pid !== undefined) return;
      spawnError ??= coerceError(e).message;
      finish();
    });
    child.once("exit", (code, sig) => {
      leader = { code, signal: sig };
      timers.push(setTimeout(finish, PIPE_GRACE_MS));
    });
    child.once("close", finish);
  });
}
