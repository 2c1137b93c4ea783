import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeployHandler } from "../../../src/agents/deploy/create-deploy-handler.js";
import type { JobOutcome } from "../../../src/agents/run-job.js";
import { silentLogger } from "../../../src/core/logger.js";
import { createDeployTarget } from "../../../src/deploy/adapters/create-deploy-target.js";
import { freePort, getJson, killAll, writeApp } from "../../deploy/helpers/fixture-app.js";
import { jobContext, planJob } from "../helpers/job-context.js";

// The deploy stage handler with real targets (the composition root's factory): what it stores in
// stage.data, how it fails, and how it reads `with`.

let root: string;
let dataDir: string;
let port: number;

const handler = () =>
  createDeployHandler({ dataDir, log: silentLogger, now: Date.now, agentEnv: process.env, targets: (environment, settings) => createDeployTarget({ dataDir, environment, settings, env: process.env }) });

async function run(workspace: string, withOpts: Record<string, unknown>, extra: { attempt?: number; runNumber?: number } = {}): Promise<{ outcome: JobOutcome; lines: string[] }> {
  const ctx = jobContext({
    workspace,
    job: planJob("deploy", { with: withOpts }),
    attempt: extra.attempt ?? 1,
    context: { run: { id: "run-test", number: extra.runNumber ?? 1, pipelineFile: "pipeline.yml", branch: "main", commit: null, startedAt: Date.now(), jobs: [] } },
    env: { APP_SECRET: "from-the-job" },
  });
  const outcome = await handler()(ctx);
  await ctx.logs.flush();
  return { outcome, lines: ctx.lines };
}

const health = { retries: 40, interval: "100ms", timeout: "1s" };

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "pitstop-deploy-agent-"));
  dataDir = path.join(root, "data");
  port = await freePort();
});

afterAll(async () => {
  await killAll(dataDir);
  await rm(root, { recursive: true, force: true });
});

describe("deploy stage handler", () => {
  it("deploys the workspace as release <run>-<attempt> and records the deployment in stage.data", async () => {
    const ws = await writeApp(path.join(root, "ws1"), { greeting: "v1" });
    const { outcome, lines } = await run(ws, { environment: "dev", port, health, workers: 2 }, { runNumber: 7 });
    expect(outcome).toMatchObject({ ok: true, setupError: null });
    expect(outcome.stage).toMatchObject({
      kind: "deploy",
      summary: expect.stringMatching(/^dev: release 7-1 live at http:\/\/127\.0\.0\.1:\d+ \(2 workers, healthy, \d+ ms\)$/),
      data: { environment: "dev", target: "local", releaseId: "7-1", previousReleaseId: null, url: `http://127.0.0.1:${port}`, ok: true, healthy: true, workers: 2, error: null, errorClass: null },
    });
    expect(outcome.stage?.data.responseMs).toEqual(expect.any(Number));
    expect(lines.join("\n")).toContain("system: deploying release 7-1");
    expect(lines.join("\n")).toMatch(/stdout: worker 1 \(pid \d+, port \d+\) healthy/);
    // `npm start` from package.json, with the job's environment (secrets included) for the app.
    expect((await getJson(`http://127.0.0.1:${port}/`)).body).toMatchObject({ greeting: "v1", release: "7-1", secret: "from-the-job" });
  });

  it("fails with deploy_unhealthy when the new release never gets healthy, the previous one still serving", async () => {
    const ws = await writeApp(path.join(root, "ws2"), { health: 503 });
    const { outcome, lines } = await run(ws, { environment: "dev", health: { ...health, retries: 30 } }, { runNumber: 7, attempt: 2 });
    expect(outcome).toMatchObject({ ok: false, hint: "deploy_unhealthy", setupError: null });
    expect(outcome.stage?.data).toMatchObject({ releaseId: "7-2", previousReleaseId: "7-1", ok: false, healthy: false, errorClass: "deploy_unhealthy" });
    expect(outcome.stage?.summary).toBe("dev: release 7-2 not deployed (deploy_unhealthy); 7-1 still serves");
    expect(lines.at(-1)).toMatch(/^system: ✗ release 7-2 never became healthy: .*answered 503 after 30 health check\(s\)/);
    expect((await getJson(`http://127.0.0.1:${port}/`)).body).toMatchObject({ greeting: "v1", release: "7-1" });
  });

  it("takes the short form's deploy_environment (aliases allowed) when `environment` is absent", async () => {
    const ws = await writeApp(path.join(root, "ws3"));
    const stagePort = await freePort();
    const { outcome } = await run(ws, { deploy_environment: "staging", notify_on_success: true, port: stagePort, health });
    expect(outcome.stage?.data).toMatchObject({ environment: "stage", url: `http://127.0.0.1:${stagePort}` });
    const { outcome: again } = await run(ws, { environment: "stage", deploy_environment: "dev", port: stagePort, health }, { attempt: 2 });
    expect(again.stage?.data).toMatchObject({ environment: "stage", previousReleaseId: "1-1" });
    await createDeployTarget({ dataDir, environment: "stage", settings: { target: "local" } }).stop();
  });

  it("deploys a sub-directory given by with.dir, with an explicit start command", async () => {
    const ws = path.join(root, "ws4");
    await writeApp(path.join(ws, "service"), { greeting: "sub" });
    await writeFile(path.join(ws, "service", "package.json"), "{}");
    const prodPort = await freePort();
    const { outcome } = await run(ws, { environment: "production", dir: "service", start: "node server.mjs", port: prodPort, health: "/health" });
    expect(outcome).toMatchObject({ ok: true });
    expect((await getJson(`http://127.0.0.1:${prodPort}/`)).body).toMatchObject({ greeting: "sub" });
    await createDeployTarget({ dataDir, environment: "prod", settings: { target: "local" } }).stop();
  });

  it("refuses bad settings with the field and what to do", async () => {
    const ws = await writeApp(path.join(root, "ws5"));
    const cases: Array<[Record<string, unknown>, string | RegExp]> = [
      [{ enviroment: "dev" }, "with.enviroment: unknown deploy option (did you mean `environment`?); see docs/stages/deploy.md"],
      [{ environment: "qa" }, 'with.environment: unknown environment "qa": use one of dev, stage, prod'],
      [{ deploy_environment: "moon" }, 'with.deploy_environment: unknown environment "moon": use one of dev, stage, prod'],
      [{ workers: 0 }, /^with\.workers: /],
      [{ port: "4100" }, /^with\.port: /],
      [{ target: "k8s" }, /^with\.target: /],
      [{ deploy: "kubectl apply" }, "with.deploy: applies to target command only; this stage deploys with target local"],
      [{ target: "command", health: "true" }, /^with\.deploy: target command needs a deploy command/],
      [{ target: "command", deploy: "true" }, /^with\.health: target command needs a health command/],
      [{ target: "command", deploy: "true", health: "true", workers: 2 }, "with.workers: applies to target local only; this stage deploys with target command"],
      [{ health: "health" }, 'with.health.path: "health" must start with "/" (e.g. /health)'],
      [{ health: { timeout: "soon" } }, /^with\.health\.timeout: invalid duration `soon`/],
      [{ dir: "../../etc" }, 'with.dir: "../../etc" leaves the workspace: give a directory inside it'],
    ];
    for (const [withOpts, expected] of cases) {
      const { outcome } = await run(ws, withOpts);
      expect(outcome.ok, JSON.stringify(withOpts)).toBe(false);
      if (typeof expected === "string") expect(outcome.setupError).toBe(expected);
      else expect(outcome.setupError).toMatch(expected);
    }
  });

  it("asks for a start command when package.json has no start script", async () => {
    const ws = path.join(root, "ws6");
    await mkdir(ws, { recursive: true });
    await writeFile(path.join(ws, "package.json"), JSON.stringify({ name: "x", scripts: { build: "tsc" } }));
    const { outcome } = await run(ws, { port: await freePort() });
    expect(outcome.setupError).toBe(`with.start: no start command: ${path.join(ws, "package.json")} has no "start" script; set deploy.start (e.g. \`node server.js\`)`);
  });

  it("says which port is taken and to set with.port", async () => {
    const ws = await writeApp(path.join(root, "ws7"));
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const fresh = path.join(root, "data-ports");
      const h = createDeployHandler({ dataDir: fresh, log: silentLogger, now: Date.now, agentEnv: process.env, targets: (environment, settings) => createDeployTarget({ dataDir: fresh, environment, settings }) });
      const ctx = jobContext({ workspace: ws, job: planJob("deploy", { with: { port: taken } }) });
      const outcome = await h(ctx);
      expect(outcome.ok).toBe(false);
      expect(outcome.setupError).toContain(`port ${taken} (environment dev) is already in use by another program`);
      expect(outcome.setupError).toContain("with.port");
      expect(outcome.stage?.data).toMatchObject({ ok: false, errorClass: "port_in_use" });
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it("deploys through the command target with the user's shell commands", async () => {
    const ws = path.join(root, "ws8");
    await mkdir(ws, { recursive: true });
    const marker = path.join(root, "marker");
    const { outcome } = await run(ws, {
      environment: "prod",
      target: "command",
      deploy: `echo "deployed $PITSTOP_RELEASE_ID to $PITSTOP_ENVIRONMENT with $APP_SECRET" > ${marker}`,
      health: { command: `grep -q deployed ${marker}`, retries: 2, interval: "50ms" },
      url: "https://prod.example.test",
    }, { runNumber: 3 });
    expect(outcome).toMatchObject({ ok: true });
    expect(outcome.stage?.data).toMatchObject({ environment: "prod", target: "command", releaseId: "3-1", url: "https://prod.example.test", healthy: true });
    expect((await readFile(marker, "utf8")).trim()).toBe("deployed 3-1 to prod with from-the-job");
  });
});
