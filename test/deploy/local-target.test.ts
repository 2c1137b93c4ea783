import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalDeployTarget, type LocalTargetOptions } from "../../src/deploy/adapters/local/local-target.js";
import type { DeployRelease, DeployTarget } from "../../src/deploy/port.js";
import { allGone, freePort, getJson, groupsGone, isAlive, isListening, killAll, pidsIn, portFreed, writeApp } from "./helpers/fixture-app.js";

// The local target with real processes: a detached supervisor per environment, a proxy on the
// environment's port, workers running a tiny node:http app. One environment is taken through a
// whole life (deploy, failed deploys, rollback, scale, restart, crashes, stop) in order.

let root: string;
let dataDir: string;
let port: number;
let apps: Record<"one" | "two" | "bad500" | "never" | "crash" | "slow", string>;
let target: DeployTarget;
/** Same environment, a second client (like the CLI beside an agent), with few health retries. */
let quick: DeployTarget;

const FAST_HEALTH = { retries: 40, intervalMs: 100, timeoutMs: 1000 };
const options = (extra: Partial<LocalTargetOptions> = {}): LocalTargetOptions => ({ dataDir, environment: "dev", port, health: FAST_HEALTH, stopGraceMs: 2000, ...extra });
const release = (id: string, app: string): DeployRelease => ({ id, sourceDir: app, start: "node server.mjs", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", APP_SECRET: "s3cr3t-value" } });
const url = (): string => `http://127.0.0.1:${port}`;

async function collect<T>(fn: (log: (l: string) => void) => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const result = await fn((l) => lines.push(l));
  return { result, lines };
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "pitstop-deploy-"));
  dataDir = path.join(root, "data");
  port = await freePort();
  apps = {
    one: await writeApp(path.join(root, "one"), { greeting: "one" }),
    two: await writeApp(path.join(root, "two"), { greeting: "two" }),
    bad500: await writeApp(path.join(root, "bad500"), { health: 500 }),
    never: await writeApp(path.join(root, "never"), { neverListen: true }),
    crash: await writeApp(path.join(root, "crash"), { crash: true }),
    slow: await writeApp(path.join(root, "slow"), { neverListen: true }),
  };
  target = createLocalDeployTarget(options());
  quick = createLocalDeployTarget(options({ health: { retries: 4, intervalMs: 100, timeoutMs: 500 } }));
});

afterAll(async () => {
  await killAll(dataDir);
  await rm(root, { recursive: true, force: true });
});

describe("local target: one environment's life", () => {
  it("deploys a release and serves it on the environment's URL", async () => {
    const { result, lines } = await collect((log) => target.deploy(release("1", apps.one), { log }));
    expect(result).toMatchObject({ ok: true, releaseId: "1", previousReleaseId: null, url: url(), healthy: true, workers: 1 });
    expect(result.responseMs).toEqual(expect.any(Number));
    expect(lines.join("\n")).toMatch(/worker 0 \(pid \d+, port \d+\) healthy/);
    const answer = await getJson(`${url()}/`);
    expect(answer.body).toMatchObject({ greeting: "one", release: "1", secret: "s3cr3t-value" });
    const status = await target.status();
    expect(status).toMatchObject({ environment: "dev", target: "local", state: "running", url: url(), current: { id: "1", status: "live", healthy: true } });
    expect(status.workers).toHaveLength(1);
    expect(status.workers[0]).toMatchObject({ alive: true, releaseId: "1", slot: 0 });
    expect(await target.releases()).toMatchObject([{ id: "1", status: "live", healthy: true }]);
  });

  it("keeps the previous release serving when the new one answers /health with 500", async () => {
    const { result, lines } = await collect((log) => quick.deploy(release("2", apps.bad500), { log }));
    expect(result).toMatchObject({ ok: false, class: "deploy_unhealthy", releaseId: "2", previousReleaseId: "1", url: url() });
    expect(result.error).toMatch(/release 2 never became healthy: worker 0 .*GET \/health answered 500 after 4 health check\(s\).*release 1 still serves/);
    expect((await getJson(`${url()}/`)).body).toMatchObject({ greeting: "one", release: "1" });
    const failedPids = pidsIn(lines);
    expect(failedPids).toHaveLength(1);
    expect(await groupsGone(failedPids)).toBe(true);
    const status = await target.status();
    expect(status.current?.id).toBe("1");
    expect(status.workers.map((w) => w.releaseId)).toEqual(["1"]);
    expect(await target.releases()).toMatchObject([{ id: "2", status: "failed", healthy: false }, { id: "1", status: "live" }]);
  });

  it("says why when the new release never listens or crashes, and keeps the old one", async () => {
    const never = await quick.deploy(release("3", apps.never));
    expect(never).toMatchObject({ ok: false, class: "deploy_unhealthy" });
    expect(never.error).toMatch(/nothing listens on port \d+/);
    const crash = await quick.deploy(release("4", apps.crash));
    expect(crash).toMatchObject({ ok: false, class: "deploy_unhealthy" });
    expect(crash.error).toMatch(/exited with code 3.*crashing on purpose/);
    expect((await getJson(`${url()}/`)).body).toMatchObject({ release: "1" });
  });

  it("refuses to deploy again the id that serves", async () => {
    expect(await target.deploy(release("1", apps.two))).toMatchObject({ ok: false, class: "invalid_release", releaseId: "1" });
    expect((await getJson(`${url()}/`)).body).toMatchObject({ greeting: "one" });
  });

  it("rolls forward, then back to the previous healthy release, and no further", async () => {
    const forward = await target.deploy(release("5", apps.two));
    expect(forward).toMatchObject({ ok: true, releaseId: "5", previousReleaseId: "1", url: url() });
    expect((await getJson(`${url()}/`)).body).toMatchObject({ greeting: "two", release: "5" });
    const back = await target.rollback();
    expect(back).toMatchObject({ ok: true, releaseId: "1", previousReleaseId: "5", url: url(), healthy: true });
    expect((await getJson(`${url()}/`)).body).toMatchObject({ greeting: "one", release: "1" });
    const statuses = Object.fromEntries((await target.releases()).map((r) => [r.id, r.status]));
    expect(statuses).toEqual({ "1": "live", "2": "failed", "3": "failed", "4": "failed", "5": "retired" });
    const again = await target.rollback();
    expect(again).toMatchObject({ ok: false, class: "no_previous_release", previousReleaseId: "1" });
    expect((await getJson(`${url()}/`)).body).toMatchObject({ release: "1" });
  });

  it("scales 1 → 3 → 1 on the same URL, round-robin over the workers", async () => {
    const before = (await target.status()).workers.map((w) => w.pid);
    const up = await target.scale(3);
    expect(up).toMatchObject({ ok: true, workers: 3, url: url() });
    const three = (await target.status()).workers;
    expect(three.map((w) => w.slot)).toEqual([0, 1, 2]);
    expect(three.every((w) => w.alive)).toBe(true);
    expect(new Set(three.map((w) => w.pid)).size).toBe(3);
    expect(three.map((w) => w.pid)).toContain(before[0]);
    const served = new Set<unknown>();
    for (let i = 0; i < 9; i++) served.add((await getJson(`${url()}/`)).body.pid);
    expect(served.size).toBe(3);
    const down = await target.scale(1);
    expect(down).toMatchObject({ ok: true, workers: 1, url: url() });
    const one = (await target.status()).workers;
    expect(one.map((w) => w.pid)).toEqual([before[0]]);
    const removed = three.map((w) => w.pid).filter((p) => p !== before[0]);
    expect(await groupsGone(removed)).toBe(true);
    expect((await getJson(`${url()}/`)).status).toBe(200);
  });

  it("restarts the workers one at a time without dropping a request", async () => {
    await target.scale(2);
    const old = (await target.status()).workers.map((w) => w.pid);
    const statuses: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        statuses.push((await getJson(`${url()}/`).catch(() => ({ status: 0 }))).status);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const r = await target.restart();
    polling = false;
    await poller;
    expect(r).toMatchObject({ ok: true, releaseId: "1", workers: 2, url: url() });
    const now = (await target.status()).workers;
    expect(now.map((w) => w.slot)).toEqual([0, 1]);
    expect(now.some((w) => old.includes(w.pid))).toBe(false);
    expect(await groupsGone(old)).toBe(true);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200)).toBe(true);
  });

  it("is found again by a new target object over the same data directory (a restarted pitstop)", async () => {
    const before = await target.status();
    const reborn = createLocalDeployTarget({ dataDir, environment: "dev" });
    const after = await reborn.status();
    expect(after).toMatchObject({ state: "running", url: url(), current: { id: "1" } });
    expect(after.workers.map((w) => [w.pid, w.alive])).toEqual(before.workers.map((w) => [w.pid, true]));
    expect(after.supervisor?.pid).toBe(before.supervisor?.pid);
    const health = await reborn.health();
    expect(health).toMatchObject({ healthy: true, releaseId: "1" });
    expect(health.checks.map((c) => [c.worker, c.ok, c.status])).toEqual([[0, true, 200], [1, true, 200]]);
  });

  it("shows a crashed worker as not alive, does not restart it, and keeps serving with the rest", async () => {
    const [victim, survivor] = (await target.status()).workers;
    process.kill(-victim!.pid, "SIGKILL");
    expect(await allGone([victim!.pid])).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    const status = await target.status();
    expect(status.workers.find((w) => w.slot === victim!.slot)).toMatchObject({ pid: victim!.pid, alive: false, signal: "SIGKILL" });
    expect(status.workers.find((w) => w.slot === survivor!.slot)).toMatchObject({ alive: true });
    const health = await target.health();
    expect(health.healthy).toBe(false);
    expect(health.checks.find((c) => c.worker === victim!.slot)).toMatchObject({ ok: false, error: "exited on SIGKILL" });
    for (let i = 0; i < 4; i++) expect((await getJson(`${url()}/`)).body.pid).not.toBe(undefined);
    const healed = await target.restart();
    expect(healed).toMatchObject({ ok: true, workers: 2 });
    expect((await target.status()).workers.every((w) => w.alive)).toBe(true);
  });

  it("reports a killed supervisor as down, and restart brings the environment back on the same URL", async () => {
    const before = await target.status();
    process.kill(before.supervisor!.pid, "SIGKILL");
    expect(await allGone([before.supervisor!.pid])).toBe(true);
    const down = await target.status();
    expect(down.state).toBe("down");
    expect(await portFreed(port)).toBe(true);
    expect((await target.health()).healthy).toBe(false);
    const r = await target.restart();
    expect(r).toMatchObject({ ok: true, releaseId: "1", url: url(), workers: 2 });
    const after = await target.status();
    expect(after.state).toBe("running");
    expect(after.supervisor?.pid).not.toBe(before.supervisor!.pid);
    // The orphaned workers of the dead supervisor were stopped, not adopted.
    expect(await groupsGone(before.workers.map((w) => w.pid))).toBe(true);
    expect((await getJson(`${url()}/`)).body).toMatchObject({ release: "1" });
  });

  it("cancels a deploy still waiting for health: nothing switches, its workers are stopped", async () => {
    const ac = new AbortController();
    const lines: string[] = [];
    setTimeout(() => ac.abort(), 600);
    const r = await target.deploy(release("6", apps.slow), { signal: ac.signal, log: (l) => lines.push(l) });
    expect(r).toMatchObject({ ok: false, class: "cancelled" });
    const pids = pidsIn(lines);
    expect(pids).toHaveLength(2);
    expect(await groupsGone(pids)).toBe(true);
    expect((await getJson(`${url()}/`)).body).toMatchObject({ release: "1" });
    const status = await target.status();
    expect(status.current?.id).toBe("1");
  });

  it("stops everything: no process left, nothing listening, state says stopped; stopping again is fine", async () => {
    const status = await target.status();
    const pids = [...status.workers.map((w) => w.pid), status.supervisor!.pid];
    const r = await target.stop();
    expect(r.ok).toBe(true);
    expect([...r.stoppedPids].sort()).toEqual([...pids].sort());
    expect(await groupsGone(pids)).toBe(true);
    expect(pids.some(isAlive)).toBe(false);
    expect(await isListening(port)).toBe(false);
    expect(await target.status()).toMatchObject({ state: "stopped", supervisor: null, current: { id: "1" } });
    expect(await target.stop()).toEqual({ ok: true, stoppedPids: [] });
  });
});
