import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DetectorEvent } from "../../../src/core/healing/heal-event.js";
import { createLocalDeployTarget } from "../../../src/deploy/adapters/local/local-target.js";
import type { DeployTarget } from "../../../src/deploy/port.js";
import { createHealthWatch } from "../../../src/healing/detectors/health-watch.js";
import { freePort, killAll } from "../../deploy/helpers/fixture-app.js";
import { killWorker, untilHealth, writeFlagApp } from "../loop/loop-fixture.js";
import { waitFor } from "./helpers.js";

// The unhealthy-deploy detector on a real local target (two workers): a release whose /health
// turns 500 with every worker alive is deploy_unhealthy, once per episode; a killed worker is not
// (that is the worker watch's crash, and a rollback would be the wrong answer to it).

let root: string;
let dataDir: string;
let flag: string;
let target: DeployTarget;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "pitstop-health-watch-"));
  dataDir = path.join(root, "data");
  flag = path.join(root, "bad.flag");
  const app = await writeFlagApp(path.join(root, "app"));
  target = createLocalDeployTarget({ dataDir, environment: "stage", port: await freePort(), workers: 2, health: { retries: 40, intervalMs: 100, timeoutMs: 1000 }, stopGraceMs: 1000 });
  const deployed = await target.deploy({ id: "7", sourceDir: app, start: "node server.mjs", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", BAD_FLAG: flag } });
  expect(deployed.ok, deployed.error).toBe(true);
}, 60_000);

afterAll(async () => {
  await target?.stop();
  await killAll(dataDir);
  await rm(root, { recursive: true, force: true });
});

function watch(events: DetectorEvent[]) {
  return createHealthWatch({ environment: "stage", target: "stage/shop", intervalMs: 100, health: () => target.health(), status: () => target.status(), emit: (e) => events.push(e) });
}

describe("createHealthWatch on a real local target", () => {
  it("a release turning bad with every worker alive is one deploy_unhealthy with the health report, again after rearm()", async () => {
    const events: DetectorEvent[] = [];
    const w = watch(events);
    w.start();
    try {
      await new Promise((r) => setTimeout(r, 400));
      expect(events).toEqual([]);
      await writeFile(flag, "bad");
      await waitFor(() => events.length === 1, 10_000, "deploy_unhealthy");
      // The episode lasts: more polls, no second event.
      await new Promise((r) => setTimeout(r, 500));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ kind: "deploy_unhealthy", environment: "stage", target: "stage/shop", evidence: { release: "7", health: { healthy: false } } });
      // rearm() (the watch after a remediation) forgets the episode: the release is still bad, so it is reported again.
      w.rearm();
      await waitFor(() => events.length === 2, 10_000, "the report after rearm");
    } finally {
      await w.stop();
      await rm(flag, { force: true });
    }
    await untilHealth(target, true);
  }, 30_000);

  it("a killed worker is not a bad release", async () => {
    const events: DetectorEvent[] = [];
    const w = watch(events);
    w.start();
    try {
      await killWorker(target);
      // Several polls see the health check failing while one worker is dead.
      await new Promise((r) => setTimeout(r, 800));
      expect(events).toEqual([]);
    } finally {
      await w.stop();
      await target.restart();
    }
    await untilHealth(target, true);
  }, 30_000);
});
