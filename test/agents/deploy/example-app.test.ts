import { execFile } from "node:child_process";
import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeployHandler } from "../../../src/agents/deploy/create-deploy-handler.js";
import { silentLogger } from "../../../src/core/logger.js";
import { createDeployTarget } from "../../../src/deploy/adapters/create-deploy-target.js";
import { freePort, getJson, groupsGone, isListening, killAll } from "../../deploy/helpers/fixture-app.js";
import { jobContext, planJob } from "../helpers/job-context.js";

// Happy path end to end on the real example app: built with its own tsconfig (into a temp copy,
// so the shared tree is untouched), deployed by the deploy stage with `npm start` as two workers
// behind the environment's port, answering its health URL, then stopped without leftovers.

const EXAMPLE = fileURLToPath(new URL("../../../examples/dashboard-app/", import.meta.url));
let root: string;
let workspace: string;
let dataDir: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "pitstop-deploy-example-"));
  workspace = path.join(root, "dashboard-app");
  dataDir = path.join(root, "data");
  await promisify(execFile)("npx", ["--no-install", "tsc", "-p", "tsconfig.build.json", "--outDir", path.join(workspace, "dist")], { cwd: EXAMPLE });
  await cp(path.join(EXAMPLE, "package.json"), path.join(workspace, "package.json"));
  await cp(path.join(EXAMPLE, "datasets"), path.join(workspace, "datasets"), { recursive: true });
}, 180_000);

afterAll(async () => {
  await killAll(dataDir);
  await rm(root, { recursive: true, force: true });
});

describe("deploy stage on examples/dashboard-app", () => {
  it("deploys the built app with npm start and it answers its health URL; stop leaves nothing", async () => {
    const port = await freePort();
    const targets = (environment: "dev" | "stage" | "prod", settings: Parameters<typeof createDeployTarget>[0]["settings"]) => createDeployTarget({ dataDir, environment, settings, env: process.env });
    const handler = createDeployHandler({ dataDir, log: silentLogger, now: Date.now, agentEnv: process.env, targets });
    const ctx = jobContext({ workspace, job: planJob("deploy", { with: { deploy_environment: "dev", notify_on_success: true, port, workers: 2, health: { retries: 100, interval: "200ms" } } }) });
    const outcome = await handler(ctx);
    await ctx.logs.flush();
    expect(outcome, ctx.lines.join("\n")).toMatchObject({ ok: true });
    const url = `http://127.0.0.1:${port}`;
    expect(outcome.stage?.data).toMatchObject({ environment: "dev", target: "local", releaseId: "1-1", url, healthy: true, workers: 2 });

    const health = await getJson(`${url}/health`);
    expect(health).toMatchObject({ status: 200, body: { status: "ok", release: "1-1" } });
    const datasets = await getJson(`${url}/api/datasets`);
    expect((datasets.body.datasets as Array<{ name: string }>).map((d) => d.name).sort()).toEqual(["patient_health", "student_scores"]);
    const page = await fetch(`${url}/`);
    expect(await page.text()).toContain("Data dashboard");

    const target = createDeployTarget({ dataDir, environment: "dev", settings: { target: "local" } });
    const status = await target.status();
    const pids = [...status.workers.map((w) => w.pid), status.supervisor!.pid];
    expect(status.workers.map((w) => w.alive)).toEqual([true, true]);
    expect((await target.stop()).ok).toBe(true);
    expect(await groupsGone(pids)).toBe(true);
    expect(await isListening(port)).toBe(false);
  });
});
