import { execFile, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isPitstopError } from "../../../src/core/errors.js";
import { createFaultInjector } from "../../../src/healing/inject/create-fault-injector.js";
import { buildAppCopy, killAll, startApp, timedGet, userTicks } from "./app-process.js";

const children: ChildProcess[] = [];
let app: { dir: string; remove: () => Promise<void> };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  app = await buildAppCopy();
}, 120_000);
afterEach(() => killAll(children));
afterAll(() => app?.remove());

describe("HTTP faults against a running dashboard-app (PITSTOP_FAULTS=1)", () => {
  it("latency makes /health slow until clear restores it", async () => {
    const proc = await startApp(app.dir, { PITSTOP_FAULTS: "1" }, children);
    const injector = createFaultInjector({ now: () => 1000 });
    const done = await injector.latency(proc.url, 1500);
    expect(done).toMatchObject({ fault: "latency", at: 1000, target: proc.url, details: { endpoint: "POST /__faults/latency", status: 200, answer: { fault: "latency", ms: 1500 } } });
    const slow = await timedGet(`${proc.url}/health`);
    expect(slow.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(1400);
    expect(await injector.clear(proc.url)).toMatchObject({ fault: "clear", details: { status: 200 } });
    const fast = await timedGet(`${proc.url}/health`);
    expect(fast.status).toBe(200);
    expect(fast.ms).toBeLessThan(1000);
  });

  it("overload burns CPU in the app process (utime grows over the window)", async () => {
    const proc = await startApp(app.dir, { PITSTOP_FAULTS: "1" }, children);
    const injector = createFaultInjector();
    const before = await userTicks(proc.child.pid);
    const done = await injector.overload(proc.url, 1000);
    expect(done).toMatchObject({ fault: "overload", details: { endpoint: "POST /__faults/cpu", status: 202 } });
    await sleep(1300);
    // 1 s of wall-clock burn; even sharing a core it gets far more than 0.2 s (20 ticks at 100 Hz).
    expect((await userTicks(proc.child.pid)) - before).toBeGreaterThan(20);
    expect((await timedGet(`${proc.url}/health`)).status).toBe(200);
  });

  it("crash via the endpoint ends the app with exit code 1", async () => {
    const proc = await startApp(app.dir, { PITSTOP_FAULTS: "1" }, children);
    const done = await createFaultInjector().crash({ url: proc.url });
    expect(done).toMatchObject({ fault: "crash", details: { status: 202, answer: { fault: "crash", pid: proc.child.pid, exitCode: 1 } } });
    expect(await proc.exited).toEqual({ code: 1, signal: null });
  });

  it("unhealthy turns /health into 503 until clear (a release that went bad while live)", async () => {
    const proc = await startApp(app.dir, { PITSTOP_FAULTS: "1" }, children);
    const injector = createFaultInjector({ now: () => 5 });
    expect(await injector.unhealthy(proc.url)).toMatchObject({ fault: "bad_release", at: 5, details: { endpoint: "POST /__faults/unhealthy", status: 200 } });
    expect((await timedGet(`${proc.url}/health`)).status).toBe(503);
    await injector.clear(proc.url);
    expect((await timedGet(`${proc.url}/health`)).status).toBe(200);
  });

  it("crash via pid kills the worker with SIGKILL", async () => {
    const proc = await startApp(app.dir, {}, children);
    const done = await createFaultInjector({ now: () => 7 }).crash({ pid: proc.child.pid });
    expect(done).toEqual({ fault: "crash", at: 7, target: `pid:${proc.child.pid}`, details: { signal: "SIGKILL" } });
    expect(await proc.exited).toEqual({ code: null, signal: "SIGKILL" });
    await expect(createFaultInjector().crash({ pid: proc.child.pid })).rejects.toThrow(/cannot kill pid \d+: ESRCH/);
  });

  it("a false alarm is slow for one window, then recovers by itself", async () => {
    const proc = await startApp(app.dir, { PITSTOP_FAULTS: "1" }, children);
    let during: { status: number; ms: number } | undefined;
    // The injector sleeps through the window after setting the latency: probe inside it.
    const injector = createFaultInjector({
      sleep: async (ms) => {
        during = await timedGet(`${proc.url}/health`);
        await sleep(Math.max(0, ms - during.ms));
      },
    });
    const done = await injector.falseAlarm(proc.url, 1200);
    expect(done).toMatchObject({ fault: "false_alarm", details: { latencyMs: 1200, windowMs: 1200, expectedAction: "noop" } });
    expect(during!.ms).toBeGreaterThanOrEqual(1100);
    expect((await timedGet(`${proc.url}/health`)).ms).toBeLessThan(1000);
  });

  it("without PITSTOP_FAULTS the hooks are a 404 and the injector says how to turn them on", async () => {
    const proc = await startApp(app.dir, {}, children);
    const res = await fetch(`${proc.url}/__faults/crash`, { method: "POST" });
    expect(res.status).toBe(404);
    const error = await createFaultInjector()
      .latency(proc.url, 100)
      .catch((e: unknown) => e);
    expect(isPitstopError(error, "USAGE")).toBe(true);
    expect((error as Error).message).toMatch(/answered 404: the app has no fault hooks; start it with PITSTOP_FAULTS=1/);
    expect(proc.child.exitCode).toBeNull();
    expect((await timedGet(`${proc.url}/health`)).status).toBe(200);
  });

  it("never sends to a non-loopback URL and checks ms", async () => {
    let calls = 0;
    const injector = createFaultInjector({ fetch: (() => (calls++, Promise.reject(new Error("sent")))) as typeof fetch });
    await expect(injector.crash({ url: "http://192.0.2.10:3000" })).rejects.toThrow(/only into apps on this machine/);
    await expect(injector.latency("https://example.com", 10)).rejects.toThrow(/only into apps on this machine/);
    await expect(injector.latency("not a url", 10)).rejects.toThrow(/is not a URL/);
    await expect(injector.overload("http://127.0.0.1:1", -5)).rejects.toThrow(/ms must be an integer from 0 to 600000/);
    expect(calls).toBe(0);
    await expect(injector.crash({ pid: 1 })).rejects.toThrow(/pid must be a process id above 1/);
  });
});

describe("env faults", () => {
  it("badRelease's env makes a deploy's /health answer 503", async () => {
    const done = createFaultInjector({ now: () => 5 }).badRelease();
    expect(done).toEqual({ fault: "bad_release", at: 5, target: "next deploy", env: { FAULT_UNHEALTHY: "1" }, details: { health: 503 } });
    const proc = await startApp(app.dir, { ...done.env, RELEASE_ID: "bad-1" }, children);
    const res = await fetch(`${proc.url}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: "unhealthy", release: "bad-1" });
    const healthy = await startApp(app.dir, { RELEASE_ID: "good-1" }, children);
    expect((await fetch(`${healthy.url}/health`)).status).toBe(200);
  });

  it("flakyTest's env makes the app's flaky test fail once, then pass", async () => {
    const tmp = await mkdtemp(path.join(tmpdir(), "pitstop-flaky-"));
    try {
      const marker = path.join(tmp, "flaky.marker");
      await writeFile(marker, "stale marker from an earlier demo\n");
      const done = await createFaultInjector().flakyTest(marker);
      expect(done).toMatchObject({ fault: "flaky_test", target: marker, env: { FAULT_FLAKY_TEST: marker } });
      expect(existsSync(marker)).toBe(false);
      const runTest = (env: Record<string, string>) =>
        promisify(execFile)(process.execPath, ["--test", "dist/test/flaky.test.js"], { cwd: app.dir, env: { PATH: process.env["PATH"] ?? "", ...env } }).then(
          () => 0,
          (e: { code?: number }) => e.code ?? -1,
        );
      expect(await runTest(done.env)).toBe(1);
      expect(existsSync(marker)).toBe(true);
      expect(await runTest(done.env)).toBe(0);
      expect(await runTest({})).toBe(0);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
