import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliInProcess, type CliResult } from "../e2e/cli.js";
import { createLocalDeployTarget } from "../../src/deploy/adapters/local/local-target.js";
import { freePort, getJson, groupsGone, isListening, killAll, writeApp } from "./helpers/fixture-app.js";

// `pitstop deploy …` through commander with the CLI's real program (global --data-dir) and the
// exit-code mapping of src/cli/main.ts (USAGE → 2, other errors → 3).

let root: string;
let dataDir: string;
let app: string;

/** The real CLI in this process on the test's data dir. */
function cli(args: string[]): Promise<CliResult> {
  return runCliInProcess(["--data-dir", dataDir, ...args], { cwd: root, env: {} });
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "pitstop-deploy-cli-"));
  dataDir = path.join(root, "data");
  app = await writeApp(path.join(root, "app"), { greeting: "cli" });
});

afterAll(async () => {
  await killAll(dataDir);
  await rm(root, { recursive: true, force: true });
});

describe("pitstop deploy", () => {
  it("says nothing is deployed, and refuses operations on an empty environment with exit 2", async () => {
    const status = await cli(["deploy", "status", "--env", "dev"]);
    expect(status).toMatchObject({ code: 0, stdout: "nothing is deployed to dev yet: a pipeline with a deploy stage puts it there (`pitstop run`)\n" });
    const restart = await cli(["deploy", "restart", "--env", "dev"]);
    expect(restart.code).toBe(2);
    expect(restart.stderr).toContain("restart of dev failed (nothing_deployed): nothing is deployed to dev");
  });

  it("rejects an unknown environment and a scale that is not a positive whole number with exit 2", async () => {
    const env = await cli(["deploy", "status", "--env", "qa"]);
    expect(env).toMatchObject({ code: 2, stderr: 'pitstop: unknown environment "qa": use one of dev, stage, prod\n' });
    const word = await cli(["deploy", "scale", "many", "--env", "dev"]);
    expect(word.code).toBe(2);
    expect(word.stderr).toContain('scale: <n> must be a whole number of workers (1 to 32), got "many"');
    expect((await cli(["deploy", "scale", "-1", "--env", "dev"])).code).toBe(2);
    const zero = await cli(["deploy", "scale", "0", "--env", "dev"]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain("workers must be a whole number from 1 to 32, got 0");
  });

  it("shows, scales, restarts, checks and stops a deployed environment", async () => {
    const port = await freePort();
    const target = createLocalDeployTarget({ dataDir, environment: "stage", port, health: { retries: 40, intervalMs: 100 } });
    expect((await target.deploy({ id: "5-1", sourceDir: app, start: "node server.mjs", env: { PATH: process.env.PATH ?? "" } })).ok).toBe(true);

    const human = await cli(["deploy", "status", "--env", "staging"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`environment stage (local): running at http://127.0.0.1:${port}`);
    expect(human.stdout).toMatch(/release: {2}5-1 \(healthy when deployed/);
    expect(human.stdout).toMatch(/workers: {2}1 of 1 alive/);
    expect(human.stdout).toMatch(/5-1\s+live\s+yes/);

    const scaled = await cli(["deploy", "scale", "2", "--env", "stage"]);
    expect(scaled.code).toBe(0);
    expect(scaled.stdout).toMatch(/✓ scale of stage to 2: release 5-1 serves http:\/\/127\.0\.0\.1:\d+ \(2 worker\(s\), healthy/);

    const json = await cli(["deploy", "status", "--env", "stage", "--json"]);
    const parsed = JSON.parse(json.stdout) as { workers: Array<{ alive: boolean; pid: number }>; releases: Array<{ id: string }>; supervisor: { pid: number } };
    expect(parsed.workers.map((w) => w.alive)).toEqual([true, true]);
    expect(parsed.releases.map((r) => r.id)).toEqual(["5-1"]);

    const restarted = await cli(["deploy", "restart", "--env", "stage", "--json"]);
    expect(restarted.code).toBe(0);
    expect(JSON.parse(restarted.stdout)).toMatchObject({ ok: true, releaseId: "5-1", workers: 2 });
    expect(restarted.stderr).toMatch(/worker 0 \(pid \d+, port \d+\) healthy/);

    const health = await cli(["deploy", "health", "--env", "stage"]);
    expect(health.code).toBe(0);
    expect(health.stdout).toContain("stage release 5-1: healthy");

    const rollback = await cli(["deploy", "rollback", "--env", "stage"]);
    expect(rollback.code).toBe(2);
    expect(rollback.stderr).toContain("(no_previous_release)");
    expect((await getJson(`http://127.0.0.1:${port}/`)).status).toBe(200);

    const now = JSON.parse((await cli(["deploy", "status", "--env", "stage", "--json"])).stdout) as typeof parsed;
    const stop = await cli(["deploy", "stop", "--env", "stage"]);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/^stopped stage: 3 process\(es\)/);
    expect(await groupsGone([...now.workers.map((w) => w.pid), now.supervisor.pid])).toBe(true);
    expect(await isListening(port)).toBe(false);
    expect((await cli(["deploy", "status", "--env", "stage"])).stdout).toContain("environment stage (local): stopped");
    expect((await cli(["deploy", "stop", "--env", "stage"])).stdout).toBe("stage was not running; it is marked stopped\n");
  });
});
