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
 * - `run` never rejects because the command failed: a missing shell or cwd is `spawnError`.
 *   It rejects only for misuse (a PitstopError), e.g. SANDBOX_UNAVAILABLE.
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
