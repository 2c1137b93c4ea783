import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DetectorEvent } from "../../../src/core/healing/heal-event.js";
import { createLocalDeployTarget } from "../../../src/deploy/adapters/local/local-target.js";
import type { DeployTarget } from "../../../src/deploy/port.js";
import { createOverloadWatch } from "../../../src/healing/detectors/overload-watch.js";
import { freePort, killAll, writeApp } from "../../deploy/helpers/fixture-app.js";
import { waitFor } from "./helpers.js";

// The request backlog: the local target's proxy counts the requests it is forwarding, the target's
// status reports them, and the overload watch turns a backlog over its bound into one incident.

let root: string;
let dataDir: string;
let target: DeployTarget;
let url: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "pitstop-backlog-"));
  dataDir = path.join(root, "data");
  // /health answers after 1.5 s: requests to it pile up at the proxy.
  const app = await writeApp(path.join(root, "app"), { healthDelayMs: 1500 });
  target = createLocalDeployTarget({ dataDir, environment: "stage", port: await freePort(), workers: 1, health: { retries: 40, intervalMs: 100, timeoutMs: 5000 }, stopGraceMs: 1000 });
  const deployed = await target.deploy({ id: "1", sourceDir: app, start: "node server.mjs", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  expect(deployed.ok, deployed.error).toBe(true);
  url = (await target.status()).url!;
}, 60_000);

afterAll(async () => {
  await target?.stop();
  await killAll(dataDir);
  await rm(root, { recursive: true, force: true });
});

describe("request backlog", () => {
  it("the proxy counts requests in flight; over the bound is one overload of the environment", async () => {
    expect((await target.status()).requestsInFlight).toBe(0);
    const events: DetectorEvent[] = [];
    const watch = createOverloadWatch({
      environment: "stage", target: "stage/shop", intervalMs: 100, pids: () => Promise.resolve([]), emit: (e) => events.push(e),
      maxBacklog: 3, backlog: async () => (await target.status()).requestsInFlight ?? null,
    });
    watch.start();
    try {
      const slow = Array.from({ length: 6 }, () => fetch(`${url}/health`).then((r) => r.text()));
      await waitFor(() => events.length === 1, 10_000, "a backlog overload");
      expect(events[0]).toMatchObject({ kind: "overload", evidence: { over: ["backlog"], limits: { maxBacklog: 3 } } });
      expect((events[0]!.evidence as { requestsInFlight: number }).requestsInFlight).toBeGreaterThan(3);
      await Promise.all(slow);
      // Answered: the backlog is gone, and the episode with it (still one event).
      let drained = -1;
      for (const end = Date.now() + 10_000; drained !== 0 && Date.now() < end; await new Promise((r) => setTimeout(r, 50))) drained = (await target.status()).requestsInFlight ?? -1;
      expect(drained).toBe(0);
      expect(events).toHaveLength(1);
    } finally {
      await watch.stop();
    }
  }, 30_000);
});
