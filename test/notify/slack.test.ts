import { afterEach, describe, expect, it } from "vitest";
import { createSlackNotifier } from "../../src/notify/adapters/slack.js";
import type { RunNotification } from "../../src/notify/port.js";
import { buildRunSummary } from "../../src/agents/report/build-run-summary.js";
import { renderMarkdown } from "../../src/agents/report/render-markdown.js";
import type { RunJobSnapshot } from "../../src/protocol/messages.js";
import { closedPortUrl, startCaptureServer, type CaptureServer } from "./helpers/capture-server.js";
import { greenRun, seedRun } from "./helpers/seed-run.js";

interface Block {
  type: string;
  text?: { type: string; text: string };
  elements?: { type: string; text: string }[];
}

const NOW = Date.UTC(2025, 0, 2, 10, 1, 30);
const notification = (run = seedRun()): RunNotification => {
  const summary = buildRunSummary(run, "report", NOW);
  return { summary, markdown: renderMarkdown(summary) };
};
const TOKEN_PATH = "/services/T000/B000/XXXXsecrettoken";

const servers: CaptureServer[] = [];
async function server(...args: Parameters<typeof startCaptureServer>): Promise<CaptureServer> {
  const s = await startCaptureServer(...args);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const texts = (blocks: Block[]) => blocks.map((b) => b.text?.text ?? b.elements?.map((e) => e.text).join(" ") ?? "");

describe("Slack notifier (@slack/webhook against a local server)", () => {
  it("POSTs a Block Kit message with the failing job, the finding, the test counts and a context line", async () => {
    const slack = await server();
    const r = await createSlackNotifier({ url: slack.url(TOKEN_PATH) }).send(notification());
    expect(r).toEqual({ ok: true, status: 200, error: null });
    expect(slack.requests).toHaveLength(1);
    const req = slack.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe(TOKEN_PATH);
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["user-agent"]).toContain("@slack:webhook");
    const body = JSON.parse(req.body) as { text: string; blocks: Block[] };
    expect(body.text).toBe("pitstop run #7 failed: security (security_finding)");
    expect(body.blocks[0]).toEqual({ type: "header", text: { type: "plain_text", text: ":x: pitstop run #7 failed", emoji: true } });
    const all = texts(body.blocks);
    const security = all.find((t) => t.includes("*security*"))!;
    expect(security).toContain(":x: *security* failed · 4.1 s");
    expect(security).toContain("Failure: `security_finding` — 1 high vulnerability at or above fail_on: high");
    expect(all.find((t) => t.includes("*test*"))).toContain(":white_check_mark: *test* succeeded after 2 attempts");
    expect(all.find((t) => t.includes("*deploy*"))).toContain(":fast_forward: *deploy* skipped");
    expect(all.some((t) => t.includes("*report*"))).toBe(false);
    expect(all).toContain(":test_tube: *Tests* 14 total · 14 passed · 0 failed · 0 errored · 0 skipped");
    const finding = all.find((t) => t.includes(":rotating_light:"))!;
    // Slack mrkdwn: the advisory as a link, the range with < escaped, the fix spelled out.
    expect(finding).toBe(
      ":rotating_light: *minimist* `high` — <https://github.com/advisories/GHSA-xvch-5gv4-984h|Prototype Pollution>\nVulnerable: `&lt;1.2.6` · Fix: upgrade minimist to 1.2.6",
    );
    expect(body.blocks.at(-1)).toEqual({ type: "context", elements: [{ type: "mrkdwn", text: "pitstop · run run-7f3a · 2025-01-02T10:01:30.000Z" }] });
    expect(all[1]).toContain("*Commit* `3f9c2a1b7d4e`");
  });

  it("shows the deployment of a green run", async () => {
    const slack = await server();
    expect((await createSlackNotifier({ url: slack.url() }).send(notification(greenRun()))).ok).toBe(true);
    const body = JSON.parse(slack.requests[0]!.body) as { text: string; blocks: Block[] };
    expect(body.text).toBe("pitstop run #7 succeeded");
    expect(texts(body.blocks)).toContain(":rocket: *Deploy* `dev` → <http://127.0.0.1:4100/health|http://127.0.0.1:4100/health> · healthy · 12 ms response · release `r-7`");
  });

  it("stays within Slack's 50-block limit for a run with many jobs and findings", async () => {
    const jobs: RunJobSnapshot[] = Array.from({ length: 60 }, (_, i) => ({
      id: `job-${i}`, name: `job-${i}`, kind: "shell", status: "failed", attempts: 1, failureClass: "exit_nonzero", reason: "exit 1", durationMs: 10, tests: null,
      stage: i === 0 ? { kind: "security", summary: "many", data: { vulnerabilities: Array.from({ length: 20 }, (_, k) => ({ package: `p${k}`, severity: "low" })) } } : null,
    }));
    const slack = await server();
    expect((await createSlackNotifier({ url: slack.url() }).send(notification(seedRun({ jobs }))))).toMatchObject({ ok: true });
    const body = JSON.parse(slack.requests[0]!.body) as { blocks: Block[] };
    expect(body.blocks.length).toBeLessThanOrEqual(50);
    expect(texts(body.blocks)).toContain("…and 35 more jobs (see the run report)");
    expect(texts(body.blocks)).toContain("…and 12 more findings (see the run report)");
  });

  it("answers ok:false with the status and Slack's reason when the webhook answers 500, without throwing", async () => {
    const slack = await server(() => ({ status: 500, body: "internal_error" }));
    const r = await createSlackNotifier({ url: slack.url(TOKEN_PATH) }).send(notification());
    expect(r).toEqual({ ok: false, status: 500, error: "Slack webhook answered HTTP 500 Internal Server Error: internal_error" });
    // No retries: one delivery attempt, recorded as failed.
    expect(slack.requests).toHaveLength(1);
  });

  it("answers ok:false for a 404 (revoked webhook) with Slack's body", async () => {
    const slack = await server(() => ({ status: 404, body: "no_service" }));
    const r = await createSlackNotifier({ url: slack.url(TOKEN_PATH) }).send(notification());
    expect(r).toMatchObject({ ok: false, status: 404 });
    expect(r.error).toContain("no_service");
  });

  it("answers ok:false with no status when the connection is refused, and never leaks the URL", async () => {
    const url = await closedPortUrl(TOKEN_PATH);
    const r = await createSlackNotifier({ url }).send(notification());
    expect(r.ok).toBe(false);
    expect(r.status).toBeNull();
    expect(r.error).toMatch(/^could not reach the Slack webhook: connect ECONNREFUSED 127\.0\.0\.1:\d+: nothing listens there, check the URL$/);
    expect(r.error).not.toContain("secrettoken");
  });

  it("gives up after its timeout when the server never answers", async () => {
    const slack = await server(() => null);
    const r = await createSlackNotifier({ url: slack.url(), timeoutMs: 300 }).send(notification());
    expect(r).toEqual({ ok: false, status: null, error: "the Slack webhook did not answer within 300 ms" });
    expect(slack.requests).toHaveLength(1);
  });

  it("stops when the job is cancelled", async () => {
    const slack = await server(() => null);
    const ac = new AbortController();
    const pending = createSlackNotifier({ url: slack.url(), timeoutMs: 60_000 }).send(notification(), ac.signal);
    while (slack.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    expect(await pending).toEqual({ ok: false, status: null, error: "the Slack webhook: delivery cancelled" });
  });

  it("refuses a URL that does not parse without echoing it", async () => {
    const r = await createSlackNotifier({ url: "hooks.slack.com/services/T/B/secrettoken" }).send(notification());
    expect(r).toEqual({ ok: false, status: null, error: "the Slack webhook URL is not a valid URL" });
  });
});
