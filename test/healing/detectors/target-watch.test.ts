import { createHook } from "node:async_hooks";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DetectorEvent } from "../../../src/core/healing/heal-event.js";
import type { ProbeSample } from "../../../src/core/healing/uptime.js";
import { createLocalDeployTarget } from "../../../src/deploy/adapters/local/local-target.js";
import type { DeployTarget } from "../../../src/deploy/port.js";
import { createTargetWatch, type TargetWatch } from "../../../src/healing/detectors/create-target-watch.js";
import { createSqliteStore } from "../../../src/store/adapters/sqlite/create-sqlite-store.js";
import type { Store } from "../../../src/store/port.js";
import { freePort, killAll } from "../../deploy/helpers/fixture-app.js";
import { killWorker, untilHealth } from "../loop/loop-fixture.js";
import { waitFor } from "./helpers.js";

// createTargetWatch against a real local deploy target (supervisor, proxy, one worker process)
// and a real SQLite store for the thresholds.

/** Answers / after 30 ms (so every probe is over a 1 ms latency bound) and /health at once. */
async function writeSlowApp(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const src = `
import http from "node:http";
const server = http.createServer((req, res) => {
  const answer = () => { res.writeHead(200, { "content-type": "application/json" }); res.end(JSON.stringify({ pid: process.pid })); };
  if (req.url === "/health") answer(); else setTimeout(answer, 30);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
server.listen(Number(process.env.PORT), "127.0.0.1");
`;
  await writeFile(path.join(dir, "server.mjs"), src);
  return dir;
}

let root: string;
let dataDir: string;
let target: DeployTarget;
let url: string;
let store: Store;
const watches: TargetWatch[] = [];

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "pitstop-target-watch-"));
  dataDir = path.join(root, "data");
  const app = await writeSlowApp(path.join(root, "app"));
  target = createLocalDeployTarget({ dataDir, environment: "stage", port: await freePort(), workers: 1, health: { retries: 40, intervalMs: 100, timeoutMs: 1000 }, stopGraceMs: 1000 });
  const deployed = await target.deploy({ id: "1", sourceDir: app, start: "node server.mjs", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  expect(deployed.ok, deployed.error).toBe(true);
  url = (await target.status()).url!;
  store = await createSqliteStore({ memory: true });
  await store.migrate();
}, 60_000);

afterAll(async () => {
  await Promise.all(watches.map((w) => w.stop()));
  await target?.stop();
  await killAll(dataDir);
  await store?.close();
  await rm(root, { recursive: true, force: true });
});

function watchOf(subject: string) {
  const events: DetectorEvent[] = [];
  const quiet: DetectorEvent[] = [];
  const samples: ProbeSample[] = [];
  const errors: unknown[] = [];
  const watch = createTargetWatch({
    environment: "stage", subject, target, url, intervalMs: 100, timeoutMs: 2000, latencyMs: 24_000, quietMs: 60_000,
    datasetsDir: null, rules: [], thresholds: store.remedies,
    emit: (e) => events.push(e),
    onQuiet: (e) => quiet.push(e),
    onSample: (s) => samples.push(s),
    onError: (e) => errors.push(e),
  });
  watches.push(watch);
  return { watch, events, quiet, samples, errors };
}

const timedOut = (n: number): Promise<void> => new Promise((r) => setTimeout(r, n));

describe("createTargetWatch on a real local target", () => {
  it("reads the latency threshold stored for the subject before every probe", async () => {
    const w = watchOf("stage/slow");
    w.watch.start();
    await waitFor(() => w.samples.length >= 4, 10_000, "probes");
    expect(w.samples.every((s) => s.up)).toBe(true);
    expect(w.events).toEqual([]); // 30 ms answers are far under the 24 s bound given

    await store.remedies.changeThreshold({ detector: "stage/slow", key: "latency_ms", to: 1, by: "test", decisionId: null, reason: "test", at: Date.now() });
    await waitFor(() => w.events.length > 0, 10_000, "a latency event");
    await w.watch.stop();
    expect(w.events).toHaveLength(1);
    const [event] = w.events;
    expect(event).toMatchObject({ kind: "latency", environment: "stage", target: "stage/slow", evidence: { url, latencyMs: 1, consecutive: 2 } });
    const evidence = event!.evidence["samples"] as ProbeSample[];
    expect(evidence).toHaveLength(2);
    expect(evidence.every((s) => s.up && s.responseMs! > 1)).toBe(true);
    expect(w.watch.uptime().latency.overThreshold).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it("a killed worker is one crash (the second detector's report goes to onQuiet); the timeline shows UP → DOWN → UP", async () => {
    const w = watchOf("stage/shop");
    w.watch.start();
    await waitFor(() => w.samples.length >= 2, 10_000, "the first probes");
    expect(w.samples.every((s) => s.up)).toBe(true);

    const killed = await killWorker(target);
    await waitFor(() => w.events.length + w.quiet.length >= 2, 10_000, "both detectors to see the crash");
    expect(w.events).toHaveLength(1);
    expect(w.quiet).toHaveLength(1);
    expect([...w.events, ...w.quiet].map((e) => e.kind)).toEqual(["crash", "crash"]);
    expect(w.events[0]).toMatchObject({ environment: "stage", target: "stage/shop" });
    // One report came from the worker watch (the pid), the other from the uptime monitor (the URL).
    const byPid = [...w.events, ...w.quiet].filter((e) => e.evidence["pid"] === killed);
    const byUrl = [...w.events, ...w.quiet].filter((e) => e.evidence["url"] === url);
    expect([byPid.length, byUrl.length]).toEqual([1, 1]);

    expect((await target.restart()).ok).toBe(true);
    await untilHealth(target, true);
    const seen = w.samples.length;
    await waitFor(() => w.samples.length > seen && w.samples.at(-1)!.up, 10_000, "UP again");
    expect(w.events).toHaveLength(1); // the restart is not another incident

    const u = w.watch.uptime();
    expect(u.timeline.map((s) => s.state)).toEqual(["UP", "DOWN", "UP"]);
    expect(u.timeline[1]!.probes).toBeGreaterThanOrEqual(2);
    expect(u.state).toBe("UP");
    expect(u.uptimePercent).toBeGreaterThan(0);
    expect(u.uptimePercent).toBeLessThan(100);
    await w.watch.stop();
  }, 60_000);

  it("stop() ends every poll and leaves no timer that would keep the process alive", async () => {
    await untilHealth(target, true);
    // Every Timeout created while the watch runs; destroyed ones (fired, cleared) drop out.
    const timers = new Map<number, NodeJS.Timeout>();
    const hook = createHook({
      init: (id, type, _trigger, resource) => void (type === "Timeout" && timers.set(id, resource as NodeJS.Timeout)),
      destroy: (id) => void timers.delete(id),
    }).enable();
    const w = watchOf("stage/stopping");
    try {
      w.watch.start();
      await waitFor(() => w.samples.length >= 3, 10_000, "probes");
      expect([...timers.values()].some((t) => t.hasRef())).toBe(true); // the poll loops' sleeps
      await w.watch.stop();
      await w.watch.stop(); // idempotent
      await new Promise((r) => setImmediate(r));
      // What is left may only be unref'd (a probe's AbortSignal.timeout): nothing holds the process.
      expect([...timers.values()].filter((t) => t.hasRef())).toEqual([]);
    } finally {
      hook.disable();
    }
    const after = w.samples.length;
    await timedOut(500); // five intervals: a loop still running would have probed again
    expect(w.samples.length).toBe(after);
    w.watch.start(); // a stopped watch does not come back
    await timedOut(300);
    expect(w.samples.length).toBe(after);
    expect(w.errors).toEqual([]);
  }, 30_000);
});
