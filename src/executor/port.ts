/**
 * Executor port (DESIGN.md §3): runs one step's command and reports what happened.
 *
 * Contract:
 * - The command runs as `sh -c <command>` in `cwd`, in its own process group, with exactly `env`
 *   (nothing inherited from the pitstop process).
 * - Output is delivered line by line through `onLine`, in order per stream. Invalid UTF-8 bytes are
 *   kept as `\xNN` escapes, never dropped. A final line without a newline is delivered too.
 * - Once `outputLimitBytes` bytes have been delivered, further output is counted in
 *   `truncatedBytes` but not delivered; the process keeps running.
 * - On timeout or when `signal` aborts, the whole process group gets SIGTERM, then SIGKILL after
 *   `killGraceMs`; `run` resolves after the group's leader has exited.
 * - `run` also waits for stdout/stderr to close, but at most ~500 ms after the leader exited (a
 *   background process holding them cannot hang it); then whatever is left of the group is killed.
 *   (A process that left the group with setsid escapes the plain adapter, not the sandbox.)
 * - Invalid UTF-8 escapes are upper-case (`\xFF`); a literal backslash in the output is not escaped.
 * - `run` never rejects because the command failed: a missing shell or cwd is `spawnError`.
 *   It rejects only for misuse (a PitstopError): SANDBOX_UNAVAILABLE, USAGE for invalid `limits`,
 *   EXECUTOR_FAILED when `onLine` throws (the step is stopped first).
 */
export interface ExecSpec {
  command: string;
  /** Absolute path; must exist. */
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number | null;
  /** Sandbox only: allow network access (default off inside a sandbox). */
  network: boolean;
  /** Budget of output bytes still allowed for this step. */
  outputLimitBytes: number;
  /** Grace between SIGTERM and SIGKILL (default 2000). */
  killGraceMs?: number;
  /** Absolute paths writable inside a sandbox besides cwd (the job workspace). */
  writablePaths?: readonly string[];
  /** Per-process resource limits (`ulimit` in the step's shell); both adapters honour them. */
  limits?: ExecLimits;
}

/** Cheap per-process limits, set with `ulimit` (no cgroups): they apply to each process, not the group. */
export interface ExecLimits {
  /** Address-space cap (`ulimit -v`), rounded down to KiB. Virtual, not resident, memory. */
  memoryBytes?: number;
  /** CPU-time cap (`ulimit -t`): SIGXCPU when reached, SIGKILL one second later. */
  cpuSeconds?: number;
}

export interface OutputLine {
  stream: "stdout" | "stderr";
  text: string;
}

export interface ExecOutcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** The signal aborted it. */
  cancelled: boolean;
  /** e.g. "ENOENT: cwd /x does not exist"; null when the process started. */
  spawnError: string | null;
  durationMs: number;
  /** Bytes delivered through onLine. */
  outputBytes: number;
  /** Bytes produced beyond outputLimitBytes. */
  truncatedBytes: number;
  pid: number | null;
}

export interface Executor {
  readonly name: string;
  run(spec: ExecSpec, onLine: (line: OutputLine) => void, signal?: AbortSignal): Promise<ExecOutcome>;
}
