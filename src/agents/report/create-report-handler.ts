import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { coerceError } from "../../core/errors.js";
import type { Notifier, NotifyTargets, RunNotification } from "../../notify/port.js";
import type { JobContext, JobOutcome, KindHandler } from "../run-job.js";
import type { StageDeps } from "../stage-deps.js";
import { buildRunSummary } from "./build-run-summary.js";
import { renderMarkdown } from "./render-markdown.js";
import { parseReportOptions, type ReportOptions } from "./report-options.js";
import { resolveNotifyTargets, SLACK_WEBHOOK_ENV, type NotificationRecord } from "./resolve-notify-targets.js";

export interface ReportDeps extends StageDeps {
  /** Builds the notifiers for the targets a job asks for (the composition root picks the adapters). */
  notifiers: (targets: NotifyTargets) => Notifier[];
}

/** Where the report files go, relative to the workspace. */
export const REPORTS_DIR = ".pitstop/reports";

const outcomeOf = (ok: boolean, extra: Partial<JobOutcome> = {}): JobOutcome => ({ ok, last: null, outputBytes: 0, truncatedBytes: 0, setupError: null, ...extra });

/**
 * The `report` kind: summarises the run from the snapshot the orchestrator sends (every job's
 * status, attempts, failure, tests and stage report), writes it as Markdown and JSON under
 * `.pitstop/reports/`, logs the Markdown, and notifies Slack and/or a generic webhook: always when
 * the run failed, on success only with `notify_on_success`. A failed notification is recorded and
 * never fails the stage.
 */
export function createReportHandler(deps: ReportDeps): KindHandler {
  return async (ctx) => {
    const parsed = parseReportOptions(ctx.job.with);
    if (!parsed.ok) return outcomeOf(false, { setupError: parsed.error });
    const summary = buildRunSummary(ctx.context.run, ctx.job.id, ctx.now());
    const message: RunNotification = { summary, markdown: renderMarkdown(summary) };
    for (const line of message.markdown.trimEnd().split("\n")) ctx.logs.push("stdout", line);

    const files = await writeReport(ctx, message).catch((e: unknown) => ({ error: coerceError(e).message }));
    const notifications = await notify(deps, ctx, parsed.options, message);
    const problems = notifications.filter((n) => !n.ok).map((n) => `${n.channel} notification failed: ${n.error ?? `HTTP ${n.status}`}`);
    const stage = {
      kind: "report",
      summary: summaryLine(summary.run.number, summary.outcome, notifications),
      data: { outcome: summary.outcome, markdown: "markdown" in files ? files.markdown : null, json: "json" in files ? files.json : null, notifications },
    };
    if ("error" in files) {
      // Not a notification problem: the report itself could not be kept, which the user must fix.
      return outcomeOf(false, { setupError: `could not write the run report under ${REPORTS_DIR}: ${files.error}`, hint: "infra", problems, stage });
    }
    return outcomeOf(true, { problems, stage });
  };
}

async function writeReport(ctx: JobContext, m: RunNotification): Promise<{ markdown: string; json: string }> {
  const base = `${REPORTS_DIR}/run-${m.summary.run.number}`;
  await mkdir(path.join(ctx.workspace, REPORTS_DIR), { recursive: true });
  await writeFile(path.join(ctx.workspace, `${base}.md`), m.markdown);
  await writeFile(path.join(ctx.workspace, `${base}.json`), `${JSON.stringify(m.summary, null, 2)}\n`);
  ctx.logs.push("system", `report written to ${base}.md and ${base}.json`);
  return { markdown: `${base}.md`, json: `${base}.json` };
}

async function notify(deps: ReportDeps, ctx: JobContext, o: ReportOptions, m: RunNotification): Promise<NotificationRecord[]> {
  if (m.summary.outcome === "succeeded" && !o.notifyOnSuccess) {
    ctx.logs.push("system", "run succeeded: no notification (set notify_on_success: true to be told about green runs too)");
    return [];
  }
  // The job's env (with its secrets) wins; the agent's own env is the fallback for the short form, which has no `secrets:`.
  const env: Record<string, string> = {};
  for (const name of [SLACK_WEBHOOK_ENV, o.webhookSecretEnv]) {
    const v = name === null ? undefined : (ctx.env[name] ?? deps.agentEnv[name]);
    if (name !== null && v !== undefined) env[name] = v;
  }
  const { targets, refused } = resolveNotifyTargets(o, env);
  const notifiers = targets.slack === null && targets.webhook === null ? [] : deps.notifiers(targets);
  if (notifiers.length === 0 && refused.length === 0) {
    ctx.logs.push("system", `no notification sent: no target configured (set with.slack_webhook, the ${SLACK_WEBHOOK_ENV} secret or with.webhook)`);
  }
  const sent = await Promise.all(notifiers.map((n) => deliver(n, m, ctx.signal)));
  const all = [...sent, ...refused];
  for (const n of all) {
    ctx.logs.push("system", n.ok ? `✓ notified ${n.channel} (HTTP ${n.status})` : `✗ ${n.channel} notification failed: ${n.error}`);
    if (!n.ok) deps.log.warn({ runId: ctx.runId, jobId: ctx.job.id, channel: n.channel, status: n.status }, "run notification failed");
  }
  return all;
}

/** Notifiers promise not to throw; a broken one still must not fail the stage. */
async function deliver(n: Notifier, m: RunNotification, signal: AbortSignal): Promise<NotificationRecord> {
  try {
    const r = await n.send(m, signal);
    return { channel: n.channel, ok: r.ok, status: r.status, error: r.error };
  } catch (e) {
    return { channel: n.channel, ok: false, status: null, error: `notifier error: ${coerceError(e).message}` };
  }
}

function summaryLine(runNumber: number, outcome: string, notes: readonly NotificationRecord[]): string {
  const sent = notes.map((n) => `${n.channel} ${n.ok ? "✓" : `✗ (${n.status !== null ? `HTTP ${n.status}` : "not delivered"})`}`);
  return `run #${runNumber} ${outcome}; ${sent.length > 0 ? `notified ${sent.join(", ")}` : "no notification sent"}`;
}
