import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readlinkSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tsLoaderUrl } from "../../src/deploy/adapters/local/launch-supervisor.js";
import { createLocalDeployTarget } from "../../src/deploy/adapters/local/local-target.js";
import { isPitstopError } from "../../src/core/errors.js";
import type { DeployRelease } from "../../src/deploy/port.js";
import { freePort, getJson, groupsGone, isListening, killAll, pidsIn, writeApp } from "./helpers/fixture-app.js";

let root: string;
let dataDir: string;
let app: string;
const HEALTH = { retries: 40, intervalMs: 100, timeoutMs: 1000 };
const release = (id: string, sourceDir: string, extra: Partial<DeployRelease> = {}): DeployRelease => ({ id, sourceDir, start: "node server.mjs", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, ...extra });

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "pitstop-deploy-edge-"));
  dataDir = path.join(root, "data");
  app = await writeApp(path.join(root, "app"), { greeting: "edge" });
});

afterAll(async () => {
  await killAll(dataDir);
  await rm(root, { recursive: true, force: true });
});

describe("local target: bad input", () => {
  it("names the port taken by another program and says what to do; no supervisor is left behind", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const target = createLocalDeployTarget({ dataDir, environment: "prod", port: taken, health: HEALTH });
      const r = await target.deploy(release("1", app));
      expect(r).toMatchObject({ ok: false, class: "port_in_use", releaseId: "1" });
      expect(r.error).toContain(`port ${taken} (environment prod) is already in use by another program, pid ${process.pid} (`);
      expect(r.error).toContain("with.port");
      const state = JSON.parse(await readFile(path.join(dataDir, "deploy/prod/state.json"), "utf8").catch(() => "{}")) as { supervisor?: unknown };
      expect(state.supervisor ?? null).toBeNull();
      expect(existsSync(path.join(dataDir, "deploy/prod/supervisor.lock"))).toBe(false);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it("refuses a bad release id, a missing source directory and globs that leave the source", async () => {
    const target = createLocalDeployTarget({ dataDir, environment: "stage", port: await freePort(), health: HEALTH });
    expect(await target.deploy(release("../evil", app))).toMatchObject({ ok: false, class: "invalid_release" });
    const missing = await target.deploy(release("1", path.join(root, "no-such-dir")));
    expect(missing).toMatchObject({ ok: false, class: "invalid_release" });
    expect(missing.error).toContain("no-such-dir does not exist");
    const escape = await target.deploy(release("2", app, { files: ["../../etc/passwd"] }));
    expect(escape).toMatchObject({ ok: false, class: "invalid_release" });
    expect(escape.error).toContain('files: "../../etc/passwd" leaves the source directory');
    const none = await target.deploy(release("3", app, { files: ["*.nothing"] }));
    expect(none.error).toMatch(/files: no file in .* matches "\*\.nothing"/);
    await target.stop();
  });

  it("rejects scale to a negative, fractional or zero count as misuse", async () => {
    const target = createLocalDeployTarget({ dataDir, environment: "dev" });
    for (const n of [-1, 1.5, 0, 33, Number.NaN]) {
      const err = await target.scale(n).then(() => null, (e: unknown) => e);
      expect(isPitstopError(err, "USAGE"), `scale(${n})`).toBe(true);
    }
  });

  it("says nothing is deployed for restart, scale and rollback of an empty environment, without starting anything", async () => {
    const empty = path.join(root, "empty-data");
    const target = createLocalDeployTarget({ dataDir: empty, environment: "dev" });
    for (const r of [await target.restart(), await target.scale(2), await target.rollback()]) {
      expect(r).toMatchObject({ ok: false, class: "nothing_deployed" });
      expect(r.error).toContain("nothing is deployed to dev");
    }
    expect(await target.status()).toMatchObject({ state: "empty", current: null, workers: [] });
    expect(await target.health()).toEqual({ healthy: false, releaseId: null, checks: [] });
    expect(existsSync(path.join(empty, "deploy/dev/state.json"))).toBe(false);
  });
});

describe("local target: releases and environments", () => {
  it("ships only the files the globs select, links node_modules, and points `current` at the live release", async () => {
    const src = await writeApp(path.join(root, "globbed"));
    await writeFile(path.join(src, "extra.txt"), "not shipped");
    await mkdir(path.join(src, "node_modules", "dep"), { recursive: true });
    await mkdir(path.join(src, ".git"), { recursive: true });
    const target = createLocalDeployTarget({ dataDir, environment: "stage", port: await freePort(), health: HEALTH });
    const r = await target.deploy(release("g1", src, { files: ["*.mjs", "package.json"] }));
    expect(r.ok).toBe(true);
    const dir = path.join(dataDir, "deploy/stage/releases/g1");
    expect(readdirSync(dir).sort()).toEqual(["node_modules", "package.json", "server.mjs"]);
    expect(lstatSync(path.join(dir, "node_modules")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(dir, "node_modules"))).toBe(path.join(src, "node_modules"));
    expect(readlinkSync(path.join(dataDir, "deploy/stage/current"))).toBe(path.join("releases", "g1"));
    // Without globs: everything but node_modules (linked), .git and .pitstop.
    const r2 = await target.deploy(release("g2", src));
    expect(r2.ok).toBe(true);
    expect(readdirSync(path.join(dataDir, "deploy/stage/releases/g2")).sort()).toEqual(["extra.txt", "node_modules", "package.json", "server.mjs"]);
    await target.stop();
  });

  it("keeps environments apart: own ports, own directories, stopping one leaves the other", async () => {
    const [devPort, prodPort] = [await freePort(), await freePort()];
    const dev = createLocalDeployTarget({ dataDir, environment: "dev", port: devPort, health: HEALTH });
    const prod = createLocalDeployTarget({ dataDir, environment: "prod", port: prodPort, health: HEALTH });
    const [a, b] = await Promise.all([dev.deploy(release("7-1", app)), prod.deploy(release("7-1", app, { env: { PATH: process.env.PATH ?? "", APP_SECRET: "prod" } }))]);
    expect(a).toMatchObject({ ok: true, url: `http://127.0.0.1:${devPort}` });
    expect(b).toMatchObject({ ok: true, url: `http://127.0.0.1:${prodPort}` });
    expect((await getJson(`http://127.0.0.1:${prodPort}/`)).body).toMatchObject({ secret: "prod" });
    expect((await getJson(`http://127.0.0.1:${devPort}/`)).body).toMatchObject({ secret: null });
    const devPids = (await dev.status()).workers.map((w) => w.pid);
    await dev.stop();
    expect(await groupsGone(devPids)).toBe(true);
    expect(await isListening(devPort)).toBe(false);
    expect((await getJson(`http://127.0.0.1:${prodPort}/health`)).status).toBe(200);
    expect(await prod.status()).toMatchObject({ state: "running", environment: "prod" });
    // A deploy asking for another port than the one prod serves on is refused, not silently moved.
    const moved = await createLocalDeployTarget({ dataDir, environment: "prod", port: devPort, health: HEALTH }).deploy(release("7-2", app));
    expect(moved).toMatchObject({ ok: false, class: "port_mismatch" });
    expect(moved.error).toContain(`already serves on port ${prodPort}`);
    await prod.stop();
    expect(await isListening(prodPort)).toBe(false);
  });

  it("stop does not wait for a deploy stuck in health checks: the deploy is cancelled, nothing is left", async () => {
    const target = createLocalDeployTarget({ dataDir, environment: "prod", port: await freePort(), health: { retries: 1000, intervalMs: 100 } });
    expect((await target.deploy(release("9-1", app))).ok).toBe(true);
    const never = await writeApp(path.join(root, "never"), { neverListen: true });
    const lines: string[] = [];
    const deploying = target.deploy(release("9-2", never), { log: (l) => lines.push(l) });
    while (!lines.some((l) => l.startsWith("started"))) await new Promise((r) => setTimeout(r, 50));
    const status = await target.status();
    const stopped = await target.stop();
    expect(stopped.ok).toBe(true);
    expect(await deploying).toMatchObject({ ok: false, class: "cancelled", releaseId: "9-2" });
    const pids = [...pidsIn(lines), ...status.workers.map((w) => w.pid), status.supervisor!.pid];
    expect(await groupsGone(pids)).toBe(true);
    expect(await target.status()).toMatchObject({ state: "stopped" });
  });

  it("deploys again after a stop, on the port it kept", async () => {
    const target = createLocalDeployTarget({ dataDir, environment: "dev", health: HEALTH });
    const before = await target.status();
    expect(before.state).toBe("stopped");
    const r = await target.deploy(release("8-1", app));
    expect(r).toMatchObject({ ok: true, url: before.url, previousReleaseId: "7-1" });
    expect((await getJson(`${before.url}/`)).body).toMatchObject({ release: "8-1" });
    await target.stop();
  });
});

describe("local target: outliving the pitstop that deployed", () => {
  it("keeps serving after the deploying process exited, and a later process finds and stops it", async () => {
    const port = await freePort();
    const script = fileURLToPath(new URL("./helpers/deploy-and-exit.ts", import.meta.url));
    const child = spawnSync(process.execPath, ["--import", tsLoaderUrl(), script, dataDir, String(port), app, "10-1"], { encoding: "utf8", timeout: 120_000 });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout.trim())).toMatchObject({ ok: true, releaseId: "10-1", url: `http://127.0.0.1:${port}` });
    // The deploying process is gone; the environment is not.
    expect((await getJson(`http://127.0.0.1:${port}/`)).body).toMatchObject({ release: "10-1", greeting: "edge" });
    const later = createLocalDeployTarget({ dataDir, environment: "stage" });
    const status = await later.status();
    expect(status).toMatchObject({ state: "running", current: { id: "10-1" }, url: `http://127.0.0.1:${port}` });
    expect(status.workers.every((w) => w.alive)).toBe(true);
    const pids = [...status.workers.map((w) => w.pid), status.supervisor!.pid];
    await later.stop();
    expect(await groupsGone(pids)).toBe(true);
  });
});

describe("local target: release directories", () => {
  it("prunes release directories beyond keep_releases, keeping the live one and the rollback target", async () => {
    const data = path.join(root, "prune-data");
    const target = createLocalDeployTarget({ dataDir: data, environment: "dev", port: await freePort(), health: HEALTH, keepReleases: 2 });
    for (const id of ["p1", "p2", "p3"]) expect((await target.deploy(release(id, app))).ok).toBe(true);
    const releases = path.join(data, "deploy/dev/releases");
    expect(readdirSync(releases).filter((f) => !f.endsWith(".json")).sort()).toEqual(["p2", "p3"]);
    expect(existsSync(path.join(releases, "p1.release.json"))).toBe(false);
    expect((await target.releases()).map((r) => [r.id, r.status])).toEqual([["p3", "live"], ["p2", "previous"]]);
    expect(await target.rollback()).toMatchObject({ ok: true, releaseId: "p2" });
    await target.stop();
  });
});
