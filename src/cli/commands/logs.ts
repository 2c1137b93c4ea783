import type { Command } from "commander";
import { ErrorCode, PitstopError } from "../../core/errors.js";
import { isTerminalRun } from "../../core/run/status.js";
import type { LogLine, Store } from "../../store/port.js";
import type { CommandContext } from "../io.js";
import { findRunOrThrow, withStore } from "./inspect.js";

interface LogsOptions {
  follow?: boolean;
  attempt?: string;
}

export function registerLogsCommand(program: Command, ctx: CommandContext): void {
  program
    .command("logs")
    .description("print a run's output (secrets are masked before anything is stored)")
    .argument("<run>", "run number, id or id prefix")
    .argument("[job]", "only this job (id or name)")
    .option("-f, --follow", "keep printing new lines until the run ends")
    .option("--attempt <n>", "only this attempt of the job")
    .action(async (ref: string, jobRef: string | undefined, opts: LogsOptions) => {
      await withStore(ctx, (store) => printLogs(ctx, store, ref, jobRef, opts));
    });
}

async function printLogs(ctx: CommandContext, store: Store, ref: string, jobRef: string | undefined, opts: LogsOptions): Promise<void> {
  const run = await findRunOrThrow(store, ref);
  let jobId: string | undefined;
  if (jobRef !== undefined) {
    const job = run.plan.jobs.find((j) => j.id === jobRef || j.name === jobRef);
    if (!job) throw new PitstopError(ErrorCode.JOB_NOT_FOUND, `run #${run.number} has no job ${JSON.stringify(jobRef)}; its jobs are: ${run.plan.jobs.map((j) => j.id).join(", ")}`);
    jobId = job.id;
  }
  const attempt = opts.attempt === undefined ? undefined : Number(opts.attempt);
  if (attempt !== undefined && (!Number.isInteger(attempt) || attempt < 1)) throw new PitstopError(ErrorCode.USAGE, `--attempt must be a positive whole number, got ${opts.attempt}`);
  const names = new Map(run.plan.jobs.map((j) => [j.id, j.name]));
  const multi = jobId === undefined;
  let afterId = 0;
  let lastHeader = "";
  // Several jobs: prefix each line with its job, like `docker compose logs`. One job: plain lines
  // under a header per attempt, so the output can be piped as the job printed it.
  const width = Math.max(...run.plan.jobs.map((j) => j.name.length));
  const write = (l: LogLine) => {
    const name = names.get(l.jobId) ?? l.jobId;
    const text = l.stream === "system" ? `» ${l.text}` : l.text;
    if (multi) {
      ctx.io.stdout.write(`${name.padEnd(width)} | ${l.attempt > 1 ? `#${l.attempt} ` : ""}${text}\n`);
      return;
    }
    const header = `${l.jobId}#${l.attempt}`;
    if (header !== lastHeader) {
      ctx.io.stdout.write(`── ${name} (attempt ${l.attempt}) ──\n`);
      lastHeader = header;
    }
    ctx.io.stdout.write(`${text}\n`);
  };
  for (;;) {
    const lines = await store.logs.readLogs({ runId: run.id, ...(jobId ? { jobId } : {}), ...(attempt ? { attempt } : {}), afterId, limit: 5000 });
    for (const l of lines) write(l);
    if (lines.length > 0) afterId = lines[lines.length - 1]!.id;
    if (lines.length === 5000) continue;
    if (!opts.follow) return;
    const cur = await store.runs.getRun(run.id);
    if (!cur || isTerminalRun(cur.status)) {
      const rest = await store.logs.readLogs({ runId: run.id, ...(jobId ? { jobId } : {}), ...(attempt ? { attempt } : {}), afterId });
      rest.forEach(write);
      return;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}
