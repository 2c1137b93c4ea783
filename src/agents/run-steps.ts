import path from "node:path";
import type { ExecOutcome } from "../executor/port.js";
import type { JobContext } from "./job-context.js";

/** What a job's processes see: a small safe base from the agent's environment, then the job's own. */
const BASE_ENV_KEYS = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER", "LOGNAME", "SHELL"] as const;

export function baseEnv(agentEnv: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const env: Record<string, string> = { TERM: "dumb" };
  for (const k of BASE_ENV_KEYS) {
    const v = agentEnv[k];
    if (v !== undefined) env[k] = v;
  }
  env.PATH ??= "/usr/local/bin:/usr/bin:/bin";
  return env;
}

/** Resolves `rel` inside `root`; null when it would escape it. */
export function resolveInside(root: string, rel: string | null): string | null {
  if (rel === null || rel === "") return root;
  const abs = path.resolve(root, rel);
  const back = path.relative(root, abs);
  if (back.startsWith("..") || path.isAbsolute(back)) return null;
  return abs;
}

/** Running steps needs the job context minus what only stage agents use. */
export type StepsInput = Pick<JobContext, "job" | "workspace" | "env" | "executor" | "logs" | "mask" | "signal" | "outputLimitBytes" | "now">;

export interface StepsResult {
  /** The outcome of the last step that ran (the failing one on failure). */
  last: ExecOutcome | null;
  ok: boolean;
  outputBytes: number;
  truncatedBytes: number;
  /** A problem that stopped the job before a process ran (bad working directory…). */
  setupError: string | null;
}

/** Runs a job's steps in order and stops at the first one that fails, like every CI does. */
export async function runSteps(input: StepsInput): Promise<StepsResult> {
  const { job, logs, mask } = input;
  const deadline = job.timeoutMs === null ? null : input.now() + job.timeoutMs;
  let outputBytes = 0;
  let truncatedBytes = 0;
  let last: ExecOutcome | null = null;
  for (const [i, step] of job.steps.entries()) {
    const cwd = resolveInside(input.workspace, joinRel(job.workingDirectory, step.workingDirectory));
    if (cwd === null) {
      return { last, ok: false, outputBytes, truncatedBytes, setupError: `step ${i + 1} (${step.name}): working-directory escapes the workspace` };
    }
    logs.push("system", `▶ ${step.name}`);
    const remaining = deadline === null ? null : Math.max(1, deadline - input.now());
    const budget = Math.max(0, input.outputLimitBytes - outputBytes);
    last = await input.executor.run(
      {
        command: step.run,
        cwd,
        env: { ...input.env, ...step.env },
        timeoutMs: remaining,
        network: job.network,
        outputLimitBytes: budget,
        writablePaths: [input.workspace],
      },
      (line) => logs.push(line.stream, mask(line.text)),
      input.signal,
    );
    outputBytes += last.outputBytes;
    truncatedBytes += last.truncatedBytes;
    if (last.spawnError) logs.push("system", mask(`could not start step: ${last.spawnError}`));
    const ok = last.exitCode === 0 && !last.timedOut && !last.cancelled && last.spawnError === null;
    logs.push("system", `${ok ? "✓" : "✗"} ${step.name} ${describeExit(last, job.timeoutMs)} in ${formatMs(last.durationMs)}`);
    if (!ok) return { last, ok: false, outputBytes, truncatedBytes, setupError: null };
  }
  return { last, ok: true, outputBytes, truncatedBytes, setupError: null };
}

function joinRel(a: string | null, b: string | null): string | null {
  if (a && b) return path.join(a, b);
  return b ?? a;
}

export function describeExit(o: ExecOutcome, timeoutMs: number | null): string {
  if (o.cancelled) return "(cancelled)";
  if (o.timedOut) return `(timed out after ${formatMs(timeoutMs ?? o.durationMs)})`;
  if (o.signal) return `(killed by ${o.signal})`;
  return `(exit ${o.exitCode ?? "?"})`;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}
