import type { ExecOutcome } from "../executor/port.js";
import type { JobContext } from "./run-job.js";
import { describeExit, formatMs, resolveInside } from "./run-steps.js";

export interface CommandOptions {
  /** Shown in the log before the command runs ("▶ eslint"). */
  label: string;
  /** Relative to the workspace; must stay inside it. */
  cwd?: string | null;
  /** Added to the job's environment for this command only. */
  env?: Record<string, string>;
  /** Keep the output lines in memory too (e.g. to parse a tool's JSON from stdout). */
  capture?: boolean;
  /** Do not stream output to the job log (it is still captured when `capture` is set). */
  quiet?: boolean;
}

export interface CommandResult {
  outcome: ExecOutcome;
  ok: boolean;
  stdout: string[];
  stderr: string[];
}

/** What is left of the job's timeout (at least 1 ms, so a spent one times out at once); null = none. */
function timeLeft(ctx: JobContext): number | null {
  if (ctx.deadline === undefined || ctx.deadline === null) return ctx.job.timeoutMs;
  return Math.max(1, ctx.deadline - ctx.now());
}

/**
 * Runs one command for a stage agent the way steps run: through the job's executor (sandbox when
 * asked), in the workspace, with the job's environment, masked lines streamed to the job log,
 * the job's remaining output budget and time (`deadline`), and cancellation. Tools run by stage agents go through here.
 */
export async function runCommand(ctx: JobContext, command: string, opts: CommandOptions, used: { bytes: number } = { bytes: 0 }): Promise<CommandResult> {
  const cwd = resolveInside(ctx.workspace, opts.cwd ?? ctx.job.workingDirectory);
  if (cwd === null) throw new Error(`working directory ${opts.cwd ?? ctx.job.workingDirectory} escapes the workspace`);
  const stdout: string[] = [];
  const stderr: string[] = [];
  ctx.logs.push("system", `▶ ${opts.label}: ${ctx.mask(command)}`);
  const timeoutMs = timeLeft(ctx);
  const outcome = await ctx.executor.run(
    {
      command,
      cwd,
      env: { ...ctx.env, ...opts.env },
      timeoutMs,
      network: ctx.job.network,
      outputLimitBytes: Math.max(0, ctx.outputLimitBytes - used.bytes),
      writablePaths: [ctx.workspace],
    },
    (line) => {
      const text = ctx.mask(line.text);
      if (opts.capture) (line.stream === "stdout" ? stdout : stderr).push(text);
      if (!opts.quiet) ctx.logs.push(line.stream, text);
    },
    ctx.signal,
  );
  used.bytes += outcome.outputBytes;
  const ok = outcome.exitCode === 0 && !outcome.timedOut && !outcome.cancelled && outcome.spawnError === null;
  if (outcome.spawnError) ctx.logs.push("system", ctx.mask(`could not start: ${outcome.spawnError}`));
  ctx.logs.push("system", `${ok ? "✓" : "✗"} ${opts.label} ${describeExit(outcome, timeoutMs)} in ${formatMs(outcome.durationMs)}`);
  return { outcome, ok, stdout, stderr };
}
