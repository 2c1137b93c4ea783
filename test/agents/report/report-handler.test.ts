import { createHmac } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createReportHandler } from "../../../src/agents/report/create-report-handler.js";
import type { NotifyTargets, RunSummary } from "../../../src/notify/port.js";
import type { AssignmentContext } from "../../../src/protocol/messages.js";
import { silentLogger } from "../../../src/core/logger.js";
import { jobContext, planJob } from "../helpers/job-context.js";
import { closedPortUrl, startCaptureServer, type CaptureServer } from "../../notify/helpers/capture-server.js";
import { greenRun, seedRun } from "../../notify/helpers/seed-run.js";
import { realNotifiers } from "./helpers/notifiers.js";

let workspace: string;
const servers: CaptureServer[] = [];
async function server(...args: Parameters<typeof startCaptureServer>): Promise<CaptureServer> {
  const s = await startCaptureServer(...args);
  servers.push(s);
  return s;
}
beforeEach(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), "pitstop-report-"));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await rm(workspace, { recursive: true, force: true });
});

interface Run {
  with?: Record<string, unknown>;
  run?: AssignmentContext["run"];
  env?: Record<string, string>;
  agentEnv?: Record<string, string>;
}

async function runReport(opts: Run = {}) {
  const asked: NotifyTargets[] = [];
  const handler = createReportHandler({
    dataDir: workspace,
    log: silentLogger,
    now: Date.now,
    agentEnv: opts.agentEnv ?? {},
    notifiers: (t) => {
      asked.push(t);
      return realNotifiers(t);
    },
  });
  const ctx = jobContext({ workspace, job: planJob("report", { with: opts.with ?? {} }), context: { run: opts.run ?? seedRun() }, env: opts.env });
  const outcome = await handler(ctx);
  await ctx.logs.flush();
  return { outcome, lines: ctx.lines, asked };
}

type Notes = { channel: string; ok: boolean; status: number | null; error: string | null }[];
const notesOf = (o: { stage?: { data: Record<string, unknown> } }) => o.stage!.data.notifications as Notes;

describe("report stage: the seed scenario", () => {
  it("writes Markdown and JSON, logs the Markdown, and sends Slack and the signed webhook the real payloads", async () => {
    const slack = await server();
    const hook = await server();
    const secret = "hook-secret-5d1c9e2f7a3b";
    const { outcome, lines } = await runReport({
      with: { slack_webhook: slack.url("/services/T1/B2/tok"), webhook: hook.url("/pitstop"), webhook_secret_env: "HOOK_SECRET", notify_on_success: false },
      env: { HOOK_SECRET: secret },
    });
    expect(outcome.ok).toBe(true);
    expect(outcome.setupError).toBeNull();
    expect(outcome.problems).toEqual([]);
    expect(outcome.stage).toEqual({
      kind: "report",
      summary: "run #7 failed; notified slack ✓, webhook ✓",
      data: {
        outcome: "failed",
        markdown: ".pitstop/reports/run-7.md",
        json: ".pitstop/reports/run-7.json",
        notifications: [
          { channel: "slack", ok: true, status: 200, error: null },
          { channel: "webhook", ok: true, status: 200, error: null },
        ],
      },
    });

    const md = await readFile(path.join(workspace, ".pitstop/reports/run-7.md"), "utf8");
    expect(md).toContain("# ❌ Run #7 failed");
    expect(md).toContain("| lint | lint | ✅ succeeded | 1 | 2.1s |  | 0 errors, 0 warnings (eslint) |");
    expect(md).toContain("| test | test | ✅ succeeded | 2 | 5.4s |  | 14 passed (2 reran on attempt 2) |");
    expect(md).toContain("| security | security | ❌ failed | 1 | 4.1s | `security_finding`: 1 high vulnerability at or above fail_on: high | 1 high vulnerability, 0 secrets |");
    expect(md).toContain("| deploy | deploy | ⏭️ skipped | 0 | – | needs security, which failed |  |");
    expect(md).not.toContain("| report |");
    expect(md).toContain("| test | 14 | 14 | 0 | 0 | 0 |");
    expect(md).toContain("| `minimist` | high | [Prototype Pollution](https://github.com/advisories/GHSA-xvch-5gv4-984h) | `<1.2.6` | upgrade minimist to 1.2.6 | security |");
    expect(md).toContain("| Commit | `3f9c2a1b7d4e5f60718293a4b5c6d7e8f9012345` |");
    // The Markdown is in the job log too, line by line.
    expect(lines).toContain("stdout: # ❌ Run #7 failed");
    expect(lines).toContain("stdout: | `minimist` | high | [Prototype Pollution](https://github.com/advisories/GHSA-xvch-5gv4-984h) | `<1.2.6` | upgrade minimist to 1.2.6 | security |");
    expect(lines).toContain("system: ✓ notified slack (HTTP 200)");

    const json = JSON.parse(await readFile(path.join(workspace, ".pitstop/reports/run-7.json"), "utf8")) as RunSummary;
    expect(json.schema).toBe("pitstop.run-summary/v1");
    expect(json.outcome).toBe("failed");
    expect(json.run).toMatchObject({ id: "run-7f3a", number: 7, pipelineFile: "pipeline.yml", branch: "main" });
    expect(json.jobs.map((j) => [j.id, j.status, j.attempts])).toEqual([["lint", "succeeded", 1], ["test", "succeeded", 2], ["build", "succeeded", 1], ["security", "failed", 1], ["deploy", "skipped", 0]]);
    expect(json.tests).toEqual({ total: 14, passed: 14, failed: 0, errored: 0, skipped: 0 });
    expect(json.vulnerabilities).toEqual([{ job: "security", package: "minimist", severity: "high", title: "Prototype Pollution", advisory: "https://github.com/advisories/GHSA-xvch-5gv4-984h", range: "<1.2.6", fix: "upgrade minimist to 1.2.6" }]);
    expect(json.deployments).toEqual([]);

    // Slack got the Block Kit message from @slack/webhook.
    expect(slack.requests).toHaveLength(1);
    const blocks = (JSON.parse(slack.requests[0]!.body) as { blocks: { text?: { text: string } }[] }).blocks.map((b) => b.text?.text ?? "");
    expect(blocks[0]).toBe(":x: pitstop run #7 failed");
    expect(blocks.some((t) => t.includes("*security* failed") && t.includes("`security_finding`"))).toBe(true);
    expect(blocks.some((t) => t.includes("*minimist*") && t.includes("GHSA-xvch-5gv4-984h") && t.includes("Fix: upgrade minimist to 1.2.6"))).toBe(true);
    expect(blocks).toContain(":test_tube: *Tests* 14 total · 14 passed · 0 failed · 0 errored · 0 skipped");

    // The webhook got the same JSON as the file, signed with the secret from the job's env.
    expect(hook.requests).toHaveLength(1);
    const req = hook.requests[0]!;
    expect(JSON.parse(req.body)).toEqual(json);
    expect(req.headers["x-pitstop-signature"]).toBe(`sha256=${createHmac("sha256", secret).update(req.body).digest("hex")}`);
  });

  it("still succeeds when Slack answers 500: the failed notification is recorded, logged and a problem", async () => {
    const slack = await server(() => ({ status: 500, body: "internal_error" }));
    const { outcome, lines } = await runReport({ with: { slack_webhook: slack.url("/services/x") } });
    expect(slack.requests).toHaveLength(1);
    expect(outcome.ok).toBe(true);
    expect(outcome.setupError).toBeNull();
    expect(notesOf(outcome)).toEqual([{ channel: "slack", ok: false, status: 500, error: "Slack webhook answered HTTP 500 Internal Server Error: internal_error" }]);
    expect(outcome.problems).toEqual(["slack notification failed: Slack webhook answered HTTP 500 Internal Server Error: internal_error"]);
    expect(lines).toContain("system: ✗ slack notification failed: Slack webhook answered HTTP 500 Internal Server Error: internal_error");
    expect(outcome.stage!.summary).toBe("run #7 failed; notified slack ✗ (HTTP 500)");
    // The report files are written all the same.
    expect(await readFile(path.join(workspace, ".pitstop/reports/run-7.md"), "utf8")).toContain("minimist");
  });

  it("still succeeds when nothing listens at the Slack URL", async () => {
    const { outcome } = await runReport({ with: { slack_webhook: await closedPortUrl("/services/x") } });
    expect(outcome.ok).toBe(true);
    const [note] = notesOf(outcome);
    expect(note).toMatchObject({ channel: "slack", ok: false, status: null });
    expect(note!.error).toContain("ECONNREFUSED");
    expect(outcome.stage!.summary).toBe("run #7 failed; notified slack ✗ (not delivered)");
  });

  it("still succeeds when the webhook times out, and Slack is still told", async () => {
    const slack = await server();
    const hook = await server(() => null);
    const { outcome } = await runReport({ with: { slack_webhook: slack.url(), webhook: hook.url(), notify_timeout: "300ms" } });
    expect(outcome.ok).toBe(true);
    expect(notesOf(outcome)).toEqual([
      { channel: "slack", ok: true, status: 200, error: null },
      { channel: "webhook", ok: false, status: null, error: `webhook ${hook.url("")} did not answer within 300 ms` },
    ]);
  });
});

describe("report stage: when to notify", () => {
  it("sends nothing for a green run when notify_on_success is false", async () => {
    const slack = await server();
    const { outcome, lines, asked } = await runReport({ run: greenRun(), with: { slack_webhook: slack.url(), notify_on_success: false } });
    expect(outcome.ok).toBe(true);
    expect(slack.requests).toHaveLength(0);
    expect(asked).toHaveLength(0);
    expect(outcome.stage!.data).toMatchObject({ outcome: "succeeded", notifications: [] });
    expect(outcome.stage!.summary).toBe("run #7 succeeded; no notification sent");
    expect(lines).toContain("system: run succeeded: no notification (set notify_on_success: true to be told about green runs too)");
  });

  it("tells Slack about a green run when notify_on_success is true, with the deployment", async () => {
    const slack = await server();
    const { outcome } = await runReport({ run: greenRun(), with: { slack_webhook: slack.url(), notify_on_success: true } });
    expect(slack.requests).toHaveLength(1);
    expect(slack.requests[0]!.body).toContain(":white_check_mark: pitstop run #7 succeeded");
    expect(notesOf(outcome)).toEqual([{ channel: "slack", ok: true, status: 200, error: null }]);
    const md = await readFile(path.join(workspace, ".pitstop/reports/run-7.md"), "utf8");
    expect(md).toContain("| deploy | `dev` | http://127.0.0.1:4100/health | ✅ healthy | 12 ms | `r-7` |");
  });

  it("reads the Slack URL from the SLACK_WEBHOOK_URL secret in the job's environment", async () => {
    const slack = await server();
    const { outcome } = await runReport({ env: { SLACK_WEBHOOK_URL: slack.url("/services/from-secret") } });
    expect(slack.requests.map((r) => r.path)).toEqual(["/services/from-secret"]);
    expect(notesOf(outcome)).toEqual([{ channel: "slack", ok: true, status: 200, error: null }]);
  });

  it("falls back to the agent's SLACK_WEBHOOK_URL (the short form has no secrets list); the job's value wins", async () => {
    const agentSlack = await server();
    const jobSlack = await server();
    await runReport({ agentEnv: { SLACK_WEBHOOK_URL: agentSlack.url("/agent") } });
    expect(agentSlack.requests).toHaveLength(1);
    await runReport({ agentEnv: { SLACK_WEBHOOK_URL: agentSlack.url("/agent") }, env: { SLACK_WEBHOOK_URL: jobSlack.url("/job") } });
    expect(agentSlack.requests).toHaveLength(1);
    expect(jobSlack.requests).toHaveLength(1);
  });

  it("says so when a failed run has nowhere to notify", async () => {
    const { outcome, lines, asked } = await runReport();
    expect(outcome.ok).toBe(true);
    expect(asked).toHaveLength(0);
    expect(notesOf(outcome)).toEqual([]);
    expect(lines).toContain("system: no notification sent: no target configured (set with.slack_webhook, the SLACK_WEBHOOK_URL secret or with.webhook)");
  });

  it("records the webhook as not sent when its signing secret is missing, and sends nothing unsigned", async () => {
    const hook = await server();
    const { outcome } = await runReport({ with: { webhook: hook.url(), webhook_secret_env: "HOOK_SECRET" } });
    expect(outcome.ok).toBe(true);
    expect(hook.requests).toHaveLength(0);
    expect(notesOf(outcome)).toEqual([
      { channel: "webhook", ok: false, status: null, error: "not sent: with.webhook_secret_env names HOOK_SECRET, which is not set in the job's environment: add `secrets: [HOOK_SECRET]` to the job or set it in the agent's environment" },
    ]);
  });

  it("records a SLACK_WEBHOOK_URL that is not a URL as a failed notification without echoing it", async () => {
    const { outcome } = await runReport({ env: { SLACK_WEBHOOK_URL: "T000/B000/secrettoken" } });
    expect(outcome.ok).toBe(true);
    const [note] = notesOf(outcome);
    expect(note).toMatchObject({ channel: "slack", ok: false });
    expect(note!.error).not.toContain("secrettoken");
  });
});

describe("report stage: bad input", () => {
  it.each([
    [{ notify_on_sucess: true }, "with.notify_on_sucess: unknown option of the report stage (did you mean `notify_on_success`?)"],
    [{ slack_webhook: "hooks.slack.com/services/T/B/secrettoken" }, "with.slack_webhook: expected an http(s) URL such as https://hooks.slack.com/services/…"],
    [{ webhook: "ftp://example.com/x" }, "with.webhook: expected an http(s) URL such as https://hooks.slack.com/services/…"],
    [{ notify_on_success: "yes" }, "with.notify_on_success: expected true or false"],
    [{ webhook: "http://127.0.0.1:1/x", webhook_secret_env: "not a name" }, "with.webhook_secret_env: expected the name of an environment variable, like WEBHOOK_SECRET"],
    [{ webhook_secret_env: "HOOK_SECRET" }, "with.webhook_secret_env: only signs the generic webhook: set with.webhook to its URL, or remove webhook_secret_env"],
    [{ notify_timeout: "soon" }, "with.notify_timeout: invalid duration `soon`: use a number of seconds or a string like `500ms`, `30s`, `10m`, `1h`, `1h30m`"],
    [{ notify_timeout: 0 }, "with.notify_timeout: must be greater than 0"],
  ])("refuses %j with a message naming the field", async (w, message) => {
    const { outcome } = await runReport({ with: w });
    expect(outcome.ok).toBe(false);
    expect(outcome.setupError).toBe(message);
    expect(outcome.setupError).not.toContain("secrettoken");
  });

  it("fails with class infra when the report cannot be written, after notifying anyway", async () => {
    await writeFile(path.join(workspace, ".pitstop"), "a file where the reports directory should be");
    const slack = await server();
    const { outcome } = await runReport({ with: { slack_webhook: slack.url() } });
    expect(outcome.ok).toBe(false);
    expect(outcome.hint).toBe("infra");
    expect(outcome.setupError).toMatch(/^could not write the run report under \.pitstop\/reports: .*(EEXIST|ENOTDIR)/);
    expect(slack.requests).toHaveLength(1);
    expect(outcome.stage!.data).toMatchObject({ markdown: null, json: null, notifications: [{ channel: "slack", ok: true }] });
  });
});
