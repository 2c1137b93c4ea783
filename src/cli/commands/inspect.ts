import type { Command } from "commander";
import { ErrorCode, PitstopError } from "../../core/errors.js";
import { RunStatus, isTerminalRun } from "../../core/run/status.js";
import { openStore } from "../../app/create-app.js";
import { buildRunReport, type RunReport } from "../../app/run-report.js";
import { loadConfig } from "../../config/config.js";
import { cancelRun } from "../../orchestrator/cancel-run.js";
import type { RunRecord, Store } from "../../store/port.js";
import { formatDuration, formatTime, table } from "../format.js";
import { ExitCode, type CommandContext } from "../io.js";

/** Opens the store read-write but without the embedded lock: safe beside a running pitstop. */
export async function withStore<T>(ctx: CommandContext, fn: (store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig({ cwd: ctx.io.cwd, env: ctx.io.env, flags: { dataDir: ctx.globals().dataDir } });
  const store = await openStore(config);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export async function findRunOrThrow(store: Store, ref: string): Promise<RunRecord> {
  const run = await store.runs.findRun(ref);
  if (!run) throw new PitstopError(ErrorCode.RUN_NOT_FOUND, `no run matches ${JSON.stringify(ref)}: use a run number (#12), an id or an id prefix of at least 4 characters; \`pitstop runs\` lists them`);
  return run;
}

export function registerInspectCommands(program: Command, ctx: CommandContext): void {
  program
    .command("runs")
    .description("list recent runs, newest first")
    .option("-n, --limit <n>", "how many", "20")
    .option("--status <status>", `only runs with this status (${Object.values(RunStatus).join(", ")})`)
    .option("--json", "print as JSON")
    .action(async (opts: { limit: string; status?: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new PitstopError(ErrorCode.USAGE, `--limit must be a positive whole number, got ${opts.limit}`);
      if (opts.status && !(opts.status in RunStatus)) throw new PitstopError(ErrorCode.USAGE, `--status ${opts.status}: expected one of ${Object.values(RunStatus).join(", ")}`);
      await withStore(ctx, async (store) => {
        const runs = await store.runs.listRuns({ limit, ...(opts.status ? { statuses: [opts.status as RunStatus] } : {}) });
        if (opts.json) {
          const reports = await Promise.all(runs.map((r) => buildRunReport(store, r)));
          ctx.io.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
          return;
        }
        if (runs.length === 0) {
          ctx.io.stdout.write("no runs yet: start one with `pitstop run`\n");
          return;
        }
        const rows = runs.map((r) => [`#${r.number}`, r.id.slice(0, 8), r.status, r.pipelineFile, formatTime(r.createdAt), r.startedAt && r.finishedAt ? formatDuration(r.finishedAt - r.startedAt) : "-", r.branch ?? "-"]);
        ctx.io.stdout.write(table([["RUN", "ID", "STATUS", "PIPELINE", "CREATED", "DURATION", "BRANCH"], ...rows]));
      });
    });

  program
    .command("show")
    .description("show a run: its jobs, attempts, failure classes and test counts")
    .argument("<run>", "run number, id or id prefix")
    .option("--json", "print the run record as JSON")
    .action(async (ref: string, opts: { json?: boolean }) => {
      await withStore(ctx, async (store) => {
        const report = await buildRunReport(store, await findRunOrThrow(store, ref));
        ctx.io.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
      });
    });

  program
    .command("cancel")
    .description("cancel a run: its processes are killed and it is marked cancelled")
    .argument("<run>", "run number, id or id prefix")
    .action(async (ref: string) => {
      await withStore(ctx, async (store) => {
        const run = await findRunOrThrow(store, ref);
        if (isTerminalRun(run.status)) {
          ctx.io.stderr.write(`run #${run.number} already ${run.status}; nothing to cancel\n`);
          ctx.setExit(ExitCode.usage);
          return;
        }
        if (!(await cancelRun({ runs: store.runs, now: Date.now }, run.id))) {
          throw new PitstopError(ErrorCode.RUN_NOT_FOUND, `run #${run.number} disappeared before it could be cancelled`);
        }
        ctx.io.stdout.write(`cancellation of run #${run.number} requested; the pitstop driving it stops its jobs within a second\n`);
      });
    });
}

function renderReport(r: RunReport): string {
  const head = [
    `run #${r.number} ${r.id}`,
    `  status:   ${r.status}${r.reason && r.status !== "succeeded" ? ` (${r.reason})` : ""}`,
    `  pipeline: ${r.pipelineFile}   workspace: ${r.workspace}`,
    `  branch:   ${r.branch ?? "-"}   commit: ${r.commit?.slice(0, 12) ?? "-"}`,
    `  started:  ${r.startedAt ?? "-"}   duration: ${r.durationMs !== null ? formatDuration(r.durationMs) : "-"}`,
    `  tests:    ${r.tests.total} total, ${r.tests.passed} passed, ${r.tests.failed + r.tests.errored} failed, ${r.tests.skipped} skipped`,
    "",
  ].join("\n");
  const rows = r.jobs.map((j) => [
    j.name,
    j.kind,
    j.status,
    String(j.attempts.length),
    j.failureClass ?? "-",
    j.durationMs !== null ? formatDuration(j.durationMs) : "-",
    j.tests ? `${j.tests.passed}/${j.tests.total}` : "-",
    j.reason ?? "",
  ]);
  const stages = r.jobs.filter((j) => j.stage).map((j) => `  ${j.name}: ${j.stage!.summary}`);
  return `${head}\n${table([["JOB", "KIND", "STATUS", "ATTEMPTS", "FAILURE", "DURATION", "TESTS", "REASON"], ...rows])}${stages.length ? `\nstages:\n${stages.join("\n")}\n` : ""}`;
}
