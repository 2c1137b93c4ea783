import type { IncomingWebhookSendArguments } from "@slack/webhook";
import type { RunDeployment, RunSummary, RunSummaryJob, RunVulnerability } from "../port.js";

type Block = NonNullable<IncomingWebhookSendArguments["blocks"]>[number];

// Slack refuses messages with more than 50 blocks and section texts over 3000 characters; these
// caps keep the worst case at 44 blocks, with "…and N more" pointing at the full report.
const MAX_JOBS = 25;
const MAX_VULNERABILITIES = 8;
const MAX_DEPLOYMENTS = 3;
const MAX_TEXT = 2900;

const STATUS_EMOJI: Record<string, string> = {
  succeeded: ":white_check_mark:",
  failed: ":x:",
  cancelled: ":no_entry_sign:",
  skipped: ":fast_forward:",
  running: ":hourglass_flowing_sand:",
  queued: ":hourglass:",
  pending: ":hourglass:",
  retrying: ":repeat:",
};

/** Slack's mrkdwn treats &, < and > as control characters: escape them in anything we quote. */
function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const clip = (s: string, max = MAX_TEXT) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
const section = (text: string): Block => ({ type: "section", text: { type: "mrkdwn", text: clip(text) } });
const emojiOf = (status: string) => STATUS_EMOJI[status] ?? ":grey_question:";

function duration(ms: number | null): string {
  if (ms === null) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function jobText(j: RunSummaryJob): string {
  const attempts = j.attempts > 1 ? ` after ${j.attempts} attempts` : "";
  const lines = [`${emojiOf(j.status)} *${escapeMrkdwn(j.name)}* ${j.status}${attempts} · ${duration(j.durationMs)}`];
  if (j.failureClass !== null || (j.reason !== null && j.status !== "succeeded")) {
    const cls = j.failureClass !== null ? `\`${j.failureClass}\`` : "";
    lines.push(`Failure: ${[cls, escapeMrkdwn(j.reason ?? "")].filter(Boolean).join(" — ")}`);
  }
  if (j.tests !== null) lines.push(`Tests: ${testLine(j.tests)}`);
  if (j.summary) lines.push(`_${escapeMrkdwn(j.summary)}_`);
  return lines.join("\n");
}

function testLine(t: NonNullable<RunSummary["tests"]>): string {
  return `${t.total} total · ${t.passed} passed · ${t.failed} failed · ${t.errored} errored · ${t.skipped} skipped`;
}

function link(url: string | null, text: string): string {
  if (url === null) return escapeMrkdwn(text);
  if (!/^https?:\/\//.test(url)) return `${escapeMrkdwn(text)} (${escapeMrkdwn(url)})`;
  return `<${url.replace(/[<>|]/g, encodeURIComponent)}|${escapeMrkdwn(text).replace(/\|/g, "¦")}>`;
}

function vulnerabilityText(v: RunVulnerability): string {
  const title = v.title ?? v.advisory ?? "advisory";
  const head = `:rotating_light: *${escapeMrkdwn(v.package)}* \`${escapeMrkdwn(v.severity)}\` — ${link(v.advisory, title)}`;
  const range = v.range !== null ? `Vulnerable: \`${escapeMrkdwn(v.range)}\`` : null;
  const fix = `Fix: ${v.fix !== null ? escapeMrkdwn(v.fix) : "no fix available yet"}`;
  return [head, [range, fix].filter(Boolean).join(" · ")].join("\n");
}

function deploymentText(d: RunDeployment): string {
  const parts = [`:rocket: *Deploy* \`${escapeMrkdwn(d.environment ?? "?")}\``];
  if (d.url !== null) parts.push(`→ ${link(d.url, d.url)}`);
  if (d.healthy !== null) parts.push(d.healthy ? "· healthy" : "· *unhealthy*");
  if (d.responseTimeMs !== null) parts.push(`· ${duration(d.responseTimeMs)} response`);
  if (d.release !== null) parts.push(`· release \`${escapeMrkdwn(d.release)}\``);
  return parts.join(" ");
}

function more(n: number, what: string): Block[] {
  return n > 0 ? [{ type: "context", elements: [{ type: "mrkdwn", text: `…and ${n} more ${what} (see the run report)` }] }] : [];
}

function overview(s: RunSummary): string {
  const counts = new Map<string, number>();
  for (const j of s.jobs) counts.set(j.status, (counts.get(j.status) ?? 0) + 1);
  const tally = [...counts].map(([status, n]) => `${n} ${status}`).join(", ");
  const facts = [`*Pipeline* \`${escapeMrkdwn(s.run.pipelineFile)}\``];
  if (s.run.branch) facts.push(`*Branch* \`${escapeMrkdwn(s.run.branch)}\``);
  if (s.run.commit) facts.push(`*Commit* \`${escapeMrkdwn(s.run.commit.slice(0, 12))}\``);
  facts.push(`*Jobs* ${s.jobs.length} (${tally || "none"})`, `*Duration* ${duration(s.run.durationMs)}`);
  return facts.join(" · ");
}

/** The fallback text Slack shows in notifications and to clients that cannot render blocks. */
function slackFallbackText(s: RunSummary): string {
  const failed = s.jobs.filter((j) => j.status === "failed" || j.status === "cancelled");
  const what = failed.map((j) => (j.failureClass ? `${j.name} (${j.failureClass})` : j.name)).join(", ");
  return `pitstop run #${s.run.number} ${s.outcome}${what ? `: ${what}` : ""}`;
}

/**
 * The Block Kit message for a run: header with run number and status emoji, the run's facts, one
 * section per job (status, duration, failure class and reason), test counts, security findings
 * (package, advisory, fix), deployments, and a context line.
 */
export function buildSlackMessage(s: RunSummary): { text: string; blocks: Block[] } {
  const emoji = s.outcome === "succeeded" ? ":white_check_mark:" : ":x:";
  const blocks: Block[] = [
    { type: "header", text: { type: "plain_text", text: clip(`${emoji} pitstop run #${s.run.number} ${s.outcome}`, 150), emoji: true } },
    section(overview(s)),
    { type: "divider" },
    ...s.jobs.slice(0, MAX_JOBS).map((j) => section(jobText(j))),
    ...more(s.jobs.length - MAX_JOBS, "jobs"),
  ];
  if (s.tests !== null) blocks.push(section(`:test_tube: *Tests* ${testLine(s.tests)}`));
  if (s.vulnerabilities.length > 0) {
    blocks.push(section(`*Security findings* (${s.vulnerabilities.length})`));
    blocks.push(...s.vulnerabilities.slice(0, MAX_VULNERABILITIES).map((v) => section(vulnerabilityText(v))));
    blocks.push(...more(s.vulnerabilities.length - MAX_VULNERABILITIES, "findings"));
  }
  blocks.push(...s.deployments.slice(0, MAX_DEPLOYMENTS).map((d) => section(deploymentText(d))));
  const when = new Date(s.generatedAt).toISOString();
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: clip(`pitstop · run ${escapeMrkdwn(s.run.id)} · ${when}`, 2000) }] });
  return { text: slackFallbackText(s), blocks };
}
