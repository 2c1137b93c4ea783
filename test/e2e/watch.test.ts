import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalDeployTarget } from "../../src/deploy/adapters/local/local-target.js";
import type { DeployTarget } from "../../src/deploy/port.js";
import { freePort, killAll, writeApp } from "../deploy/helpers/fixture-app.js";
import { killWorker, untilHealth } from "../healing/loop/loop-fixture.js";
import { isAlive, runCli, startCli, waitGone, type Spawned } from "./cli.js";

// `pitstop watch` as people run it: the built CLI as a child process, watching an app deployed
// into a temp data directory's stage environment by this test (as a pipeline's deploy stage would).

interface WatchJson {
  apps: Array<{ environment: string; subject: string; url: string; uptime: { uptimePercent: number | null; timeline: Array<{ state: string; probes: number }> } }>;
  incidents: Array<{ event: { kind: string; target: string }; outcome: { incidentId: string; status: string; steps: Array<{ action: string; verdict: string | null }> } }>;
}

let root: string;
let dataDir: string;
let stage: DeployTarget;
const children: Spawned[] = [];

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "pitstop-e2e-watch-"));
  dataDir = path.join(root, "data");
  const app = await writeApp(path.join(root, "app"), { greeting: "watched" });
  stage = createLocalDeployTarget({ dataDir, environment: "stage", port: await freePort(), workers: 1, health: { retries: 40, intervalMs: 100, timeoutMs: 1000 }, stopGraceMs: 1000 });
  const deployed = await stage.deploy({ id: "1", sourceDir: app, start: "node server.mjs", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  expect(deployed.ok, deployed.error).toBe(true);
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
  await Promise.all(children.map((c) => c.done));
  await stage?.stop();
  await killAll(dataDir);
  await rm(root, { recursive: true, force: true });
});

/** Polls the child's stderr (watch --json writes its progress there) until it matches. */
async function untilStderr(s: Spawned, re: RegExp, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (re.test(s.err())) return;
    if (s.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${String(re)} on stderr; stdout:\n${s.out()}\nstderr:\n${s.err()}`);
}

function watch(args: string[], dir = dataDir): Spawned {
  const s = startCli(["--data-dir", dir, "watch", ...args], { cwd: root });
  children.push(s);
  return s;
}

const lock = (dir: string): string => path.join(dir, "pitstop.lock");

describe("pitstop watch (e2e, built CLI)", () => {
  it("refuses bad input with exit 2 and says what was wrong", async () => {
    const empty = path.join(root, "empty-data");
    const cases: Array<[string[], string, RegExp]> = [
      [["--interval", "abc"], dataDir, /--interval: invalid duration `abc`/],
      [["--interval", "10ms"], dataDir, /--interval 10ms: must be at least 100 ms/],
      [["--env", "qa"], dataDir, /--env "qa": use one of dev, stage, prod/],
      [["--max-rss", "lots"], dataDir, /--max-rss "lots": give a whole number of megabytes/],
      [["--datasets", "/nonexistent"], dataDir, /--datasets \/nonexistent: not a directory \(looked at \/nonexistent\)/],
      [[], empty, /nothing deployed in .*empty-data to watch: deploy first/],
      [["--env", "prod"], dataDir, /not watching prod: nothing deployed[\s\S]*nothing deployed in .* to watch/],
    ];
    for (const [args, dir, msg] of cases) {
      const r = await watch(args, dir).done;
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe("");
      expect(existsSync(lock(dir))).toBe(false);
    }
    expect((await stage.health()).healthy).toBe(true); // refusing to watch touched nothing
    expect(existsSync(path.join(empty, "pitstop.db"))).toBe(false); // nothing to watch writes nothing
  }, 60_000);

  it("sees a killed worker, heals it by restart, and reports uptime and the incident as JSON", async () => {
    const s = watch(["--env", "stage", "--app", "shop", "--interval", "200ms", "--quiet", "5s", "--for", "12s", "--json"]);
    await untilStderr(s, /stage\/shop UP \(\d+ ms\)/);
    expect(existsSync(lock(dataDir))).toBe(true); // embedded bus: watch holds the data directory
    const killed = await killWorker(stage);
    await untilStderr(s, /detected: crash on stage\/shop/);

    const r = await s.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/watching stage\/shop at http:\/\/127\.0\.0\.1:\d+ every 200ms/);
    expect(r.stderr).toMatch(/stage\/shop: uptime \d+(\.\d)? % over/);
    const json = JSON.parse(r.stdout) as WatchJson;
    expect(json.incidents).toHaveLength(1);
    const [incident] = json.incidents;
    expect(incident!.event).toMatchObject({ kind: "crash", target: "stage/shop" });
    expect(incident!.outcome.status).toBe("healed");
    expect(incident!.outcome.steps[0]).toMatchObject({ action: "restart", verdict: "healed" });
    expect(json.apps).toHaveLength(1);
    expect(json.apps[0]).toMatchObject({ environment: "stage", subject: "stage/shop" });
    // Whether a probe fell between the kill and the restart is a race (the worker watch may see
    // the crash first and the healer restart it before the next probe), so only the ends are fixed.
    const timeline = json.apps[0]!.uptime.timeline;
    expect(timeline.length).toBeGreaterThan(0);
    expect([timeline[0]!.state, timeline.at(-1)!.state]).toEqual(["UP", "UP"]);
    expect(timeline.reduce((n, t) => n + t.probes, 0)).toBeGreaterThan(10);

    expect(existsSync(lock(dataDir))).toBe(false);
    const worker = (await stage.status()).workers[0];
    expect(worker?.alive).toBe(true);
    expect(worker?.pid).not.toBe(killed);
    expect(isAlive(s.child.pid!)).toBe(false);

    const listed = await runCli(["--data-dir", dataDir, "incidents", "--json"], { cwd: root });
    expect(listed.code, listed.stderr).toBe(0);
    const incidents = JSON.parse(listed.stdout) as Array<{ id: string; kind: string; status: string; environment: string }>;
    expect(incidents).toEqual([expect.objectContaining({ id: incident!.outcome.incidentId, kind: "crash", status: "healed", environment: "stage" })]);
    const table = await runCli(["--data-dir", dataDir, "incidents"], { cwd: root });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^${incident!.outcome.incidentId.slice(0, 8)} .* stage +crash +deploy stage/shop +healed `, "m"));
  }, 60_000);

  it("Ctrl-C (SIGINT) ends a watch with exit 0 and prints the uptime", async () => {
    await untilHealth(stage, true);
    const s = watch(["--env", "stage", "--app", "shop", "--interval", "200ms"]);
    await s.waitFor(/stage\/shop UP \(\d+ ms\)/);
    expect(s.out()).toContain("Ctrl-C stops watching (the apps keep running)");
    s.child.kill("SIGINT");
    const r = await s.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stage\/shop: uptime 100\.0 % over .*, 0 DOWN spans, p50 \d+ ms, p95 \d+ ms/);
    expect(await waitGone(s.child.pid!)).toBe(true);
    expect(existsSync(lock(dataDir))).toBe(false);
    expect((await stage.health()).healthy).toBe(true); // watching stops; the app keeps running
  }, 60_000);
});
