import assert from "node:assert/strict";
import { networkInterfaces } from "node:os";
import { after, before, describe, it } from "node:test";
import { createDashboardServer } from "../src/dashboard-server.js";
import { createFaultHooks, isLoopback } from "../src/faults.js";
import { close, listen, shippedDatasetsDir } from "./helpers.js";

function post(url: string, body?: unknown): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function timed(url: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

describe("fault hooks (PITSTOP_FAULTS=1)", () => {
  let crashes = 0;
  const server = createDashboardServer({ datasetsDir: shippedDatasetsDir, release: "r1", faults: createFaultHooks({ crash: () => crashes++ }) });
  let base: string;
  before(async () => {
    base = await listen(server);
  });
  after(() => close(server));

  it("delays every request after POST /__faults/latency and stops after clear", async () => {
    // A long delay keeps the two sides of the check far apart, so a busy CI machine cannot blur them.
    const set = await post(`${base}/__faults/latency`, { ms: 2000 });
    assert.equal(set.status, 200);
    assert.deepEqual(await set.json(), { fault: "latency", ms: 2000 });
    const slow = await timed(`${base}/health`);
    assert.equal(slow.status, 200);
    assert.ok(slow.ms >= 1950, `expected >= 1950 ms, took ${slow.ms}`);
    assert.equal((await post(`${base}/__faults/clear`)).status, 200);
    const fast = await timed(`${base}/health`);
    assert.ok(fast.ms < 1500, `expected < 1500 ms after clear, took ${fast.ms}`);
  });

  it("turns /health 503 after POST /__faults/unhealthy (the API still serves) and back to 200 after clear", async () => {
    assert.equal((await fetch(`${base}/health`)).status, 200);
    const set = await post(`${base}/__faults/unhealthy`);
    assert.equal(set.status, 200);
    assert.deepEqual(await set.json(), { fault: "unhealthy", pid: process.pid });
    const bad = await fetch(`${base}/health`);
    assert.equal(bad.status, 503);
    assert.equal(((await bad.json()) as { status: string }).status, "unhealthy");
    assert.equal((await fetch(`${base}/api/datasets`)).status, 200);
    assert.equal((await post(`${base}/__faults/clear`)).status, 200);
    assert.equal((await fetch(`${base}/health`)).status, 200);
  });

  it("answers the crash request first, then calls crash", async () => {
    const res = await post(`${base}/__faults/crash`);
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { fault: "crash", pid: process.pid, exitCode: 1 });
    for (let i = 0; i < 50 && crashes === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(crashes, 1);
  });

  it("burns CPU for POST /__faults/cpu, in slices that still let requests through", async () => {
    const before = process.cpuUsage();
    const res = await post(`${base}/__faults/cpu`, { ms: 300 });
    assert.equal(res.status, 202);
    assert.equal((await timed(`${base}/health`)).status, 200);
    await new Promise((r) => setTimeout(r, 400));
    const used = process.cpuUsage(before);
    // The burn is 300 ms of wall time; on a loaded machine the process gets less CPU than that, but
    // an idle server uses next to none, so a third of it still tells the two apart.
    assert.ok(used.user + used.system >= 100_000, `expected >= 100 ms of CPU, used ${(used.user + used.system) / 1000} ms`);
  });

  it("rejects bad bodies, other methods and unknown faults", async () => {
    assert.equal((await post(`${base}/__faults/latency`, { ms: -1 })).status, 400);
    assert.equal((await post(`${base}/__faults/latency`, { ms: "5" })).status, 400);
    assert.equal((await post(`${base}/__faults/cpu`, { ms: 600_001 })).status, 400);
    assert.equal((await fetch(`${base}/__faults/latency`)).status, 405);
    assert.equal((await post(`${base}/__faults/disk`)).status, 404);
  });
});

describe("fault hooks off or out of reach", () => {
  it("answers 404 under /__faults when the server has no fault hooks", async () => {
    const server = createDashboardServer({ datasetsDir: shippedDatasetsDir, release: null });
    const base = await listen(server);
    try {
      for (const path of ["latency", "cpu", "crash", "unhealthy", "clear"]) {
        const res = await post(`${base}/__faults/${path}`, { ms: 10 });
        assert.equal(res.status, 404, path);
      }
      assert.equal((await fetch(`${base}/health`)).status, 200);
    } finally {
      await close(server);
    }
  });

  it("treats only loopback peers as local", () => {
    for (const a of ["127.0.0.1", "::1", "::ffff:127.0.0.1"]) assert.equal(isLoopback(a), true, a);
    for (const a of ["192.0.2.2", "::ffff:10.0.0.1", "127.0.0.2x", undefined]) assert.equal(isLoopback(a), false, String(a));
  });

  // A real non-loopback peer: connect to this machine's own external address, so the server sees
  // that address, not 127.0.0.1. Skipped on a machine with loopback only.
  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === "IPv4" && !i.internal)?.address;
  it("answers 404 to a caller on a non-loopback address even with the hooks on", { skip: external === undefined && "no non-loopback IPv4 address" }, async () => {
    let crashed = false;
    const server = createDashboardServer({ datasetsDir: shippedDatasetsDir, release: null, faults: createFaultHooks({ crash: () => (crashed = true) }) });
    await new Promise<void>((resolve) => server.listen(0, external, resolve));
    const { port } = server.address() as { port: number };
    try {
      assert.equal((await post(`http://${external}:${port}/__faults/crash`)).status, 404);
      assert.equal((await fetch(`http://${external}:${port}/health`)).status, 200);
      assert.equal(crashed, false);
    } finally {
      await close(server);
    }
  });
});

describe("FAULT_UNHEALTHY (a bad release)", () => {
  it("makes /health answer 503 while the API still serves", async () => {
    const server = createDashboardServer({ datasetsDir: shippedDatasetsDir, release: "bad-1", unhealthy: true });
    const base = await listen(server);
    try {
      const res = await fetch(`${base}/health`);
      assert.equal(res.status, 503);
      assert.deepEqual(await res.json(), { status: "unhealthy", release: "bad-1", pid: process.pid, reason: "FAULT_UNHEALTHY=1 (injected bad release)" });
      assert.equal((await fetch(`${base}/api/datasets`)).status, 200);
    } finally {
      await close(server);
    }
  });
});
