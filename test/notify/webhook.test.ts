import { createHmac, timingSafeEqual } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createWebhookNotifier } from "../../src/notify/adapters/webhook.js";
import type { RunNotification, RunSummary } from "../../src/notify/port.js";
import { buildRunSummary } from "../../src/agents/report/build-run-summary.js";
import { renderMarkdown } from "../../src/agents/report/render-markdown.js";
import { closedPortUrl, startCaptureServer, type CaptureServer } from "./helpers/capture-server.js";
import { seedRun } from "./helpers/seed-run.js";

const SECRET = "whsec-3b1f0c7e9a2d4c6b8e0f1a2b";
const notification = (): RunNotification => {
  const summary = buildRunSummary(seedRun(), "report", Date.UTC(2025, 0, 2, 10, 1, 30));
  return { summary, markdown: renderMarkdown(summary) };
};

/** What a receiver does: recompute the HMAC over the raw body and compare in constant time. */
function verify(body: string, header: string | undefined, secret: string): boolean {
  if (header === undefined || !header.startsWith("sha256=")) return false;
  const expected = Buffer.from(createHmac("sha256", secret).update(body, "utf8").digest("hex"), "utf8");
  const got = Buffer.from(header.slice("sha256=".length), "utf8");
  return expected.length === got.length && timingSafeEqual(expected, got);
}

const servers: CaptureServer[] = [];
async function server(...args: Parameters<typeof startCaptureServer>): Promise<CaptureServer> {
  const s = await startCaptureServer(...args);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe("generic JSON webhook notifier", () => {
  it("POSTs the run summary JSON with a valid HMAC-SHA256 signature", async () => {
    const hook = await server(() => ({ status: 202 }));
    const n = notification();
    const r = await createWebhookNotifier({ url: hook.url("/ci/events?token=abc"), secret: SECRET }).send(n);
    expect(r).toEqual({ ok: true, status: 202, error: null });
    const req = hook.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/ci/events?token=abc");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["x-pitstop-event"]).toBe("run.summary");
    expect(req.headers["x-pitstop-delivery"]).toMatch(/^[0-9a-f-]{36}$/);
    const sig = req.headers["x-pitstop-signature"] as string;
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verify(req.body, sig, SECRET)).toBe(true);
    expect(verify(req.body, sig, "another-secret-of-some-length")).toBe(false);
    expect(verify(req.body.replace('"failed"', '"succeeded"'), sig, SECRET)).toBe(false);
    const body = JSON.parse(req.body) as RunSummary;
    expect(body).toEqual(n.summary);
    expect(body.vulnerabilities[0]).toMatchObject({ package: "minimist", fix: "upgrade minimist to 1.2.6", advisory: "https://github.com/advisories/GHSA-xvch-5gv4-984h" });
  });

  it("sends no signature header without a secret, and a fresh delivery id each time", async () => {
    const hook = await server();
    const notifier = createWebhookNotifier({ url: hook.url() });
    await notifier.send(notification());
    await notifier.send(notification());
    expect(hook.requests[0]!.headers["x-pitstop-signature"]).toBeUndefined();
    expect(hook.requests[0]!.headers["x-pitstop-delivery"]).not.toBe(hook.requests[1]!.headers["x-pitstop-delivery"]);
  });

  it("answers ok:false with the status and the receiver's body on a 500", async () => {
    const hook = await server(() => ({ status: 500, body: "database is down" }));
    const r = await createWebhookNotifier({ url: hook.url("/path/with/token") }).send(notification());
    expect(r.ok).toBe(false);
    expect(r.status).toBe(500);
    expect(r.error).toBe(`webhook ${hook.url("")} answered HTTP 500 Internal Server Error: database is down`);
    expect(r.error).not.toContain("token");
  });

  it("does not follow a redirect (the body would go elsewhere): ok:false with the 3xx status", async () => {
    const elsewhere = await server();
    const hook = await server(() => ({ status: 307, headers: { location: elsewhere.url("/stolen") } }));
    const r = await createWebhookNotifier({ url: hook.url() }).send(notification());
    expect(r).toMatchObject({ ok: false, status: 307 });
    expect(elsewhere.requests).toHaveLength(0);
  });

  it("answers ok:false with no status when the connection is refused", async () => {
    const url = await closedPortUrl("/hook");
    const r = await createWebhookNotifier({ url }).send(notification());
    expect(r.status).toBeNull();
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^could not reach webhook http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED 127\.0\.0\.1:\d+: nothing listens there, check the URL$/);
  });

  it("gives up after its timeout when the receiver never answers", async () => {
    const hook = await server(() => null);
    const r = await createWebhookNotifier({ url: hook.url(), timeoutMs: 250 }).send(notification());
    expect(r).toEqual({ ok: false, status: null, error: `webhook ${hook.url("")} did not answer within 250 ms` });
  });
});
