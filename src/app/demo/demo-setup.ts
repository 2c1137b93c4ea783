import { access, cp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { createAppRegistry } from "../app-registry.js";
import { validateOnboarding, type AppSpec } from "../../core/healing/onboarding.js";
import { ErrorCode, PitstopError } from "../../core/errors.js";
import type { AuditLog } from "../../healing/audit/create-audit-log.js";

/** The example app's name in the registry. */
export const DEMO_APP = "dashboard-app";

/**
 * Onboards the example app in stage as `pitstop onboard --no-run` would (validated request, spec
 * in the registry, audited), or returns the spec an earlier demo wrote. The example lives inside
 * pitstop's own checkout, so no clone is made: the demo works in a copy (`prepareDemoWorkspace`).
 */
export async function ensureDemoApp(dataDir: string, exampleDir: string, audit: AuditLog, workspace: string = exampleDir): Promise<{ spec: AppSpec; reused: boolean }> {
  const registry = createAppRegistry(dataDir);
  const existing = await registry.get(DEMO_APP);
  if (existing) return { spec: existing, reused: true };
  await access(path.join(exampleDir, "package.json")).catch(() => {
    throw new PitstopError(ErrorCode.USAGE, `the example app is missing: no ${path.join(exampleDir, "package.json")}; run the demo from a pitstop checkout`);
  });
  const checked = validateOnboarding({ name: DEMO_APP, repo: exampleDir, runtime: "node", env: "stage" });
  if (!checked.ok) throw new PitstopError(ErrorCode.INTERNAL, `the demo's onboarding request is invalid: ${checked.problems.map((p) => `${p.field}: ${p.message}`).join("; ")}`);
  const spec: AppSpec = {
    name: DEMO_APP, repo: exampleDir, runtime: "node", environment: "stage", pipeline: checked.request.pipeline,
    createdAt: new Date().toISOString(), workspace,
  };
  await registry.create(spec);
  await audit.append({ type: "RUNTIME_EMIT", actor: "system", subject: { app: spec.name, env: spec.environment }, data: { event: "app.onboarded", spec, by: "demo" } });
  return { spec, reused: false };
}

/**
 * The demo's pipeline: build the example (with pitstop's own TypeScript when it is installed, so
 * the example needs no `npm install`), then deploy it to stage with the fault hooks on and short
 * health checks. Written to the data dir so the example's own pipeline files stay untouched.
 */
export async function writeDemoPipeline(dataDir: string, opts: { port: number; tsc: string | null }): Promise<string> {
  const dir = path.join(dataDir, "demo");
  await mkdir(dir, { recursive: true });
  const build = opts.tsc ? `rm -rf dist && node ${JSON.stringify(opts.tsc)} -p tsconfig.build.json && node scripts/write-release.mjs` : "npm run build";
  const deploy = {
    environment: "stage",
    port: opts.port,
    start: "node dist/src/server.js",
    env: { PITSTOP_FAULTS: "1" },
    health: { path: "/health", retries: 50, interval: "100ms", timeout: "1s" },
    stop_grace: "1s",
  };
  const text = [
    "# Written by `pitstop demo`: build the example app, deploy it to stage with its fault hooks on.",
    "pipeline:",
    "  stages:",
    `    - build: { command: ${JSON.stringify(build)} }`,
    `    - deploy: ${JSON.stringify(deploy)}`,
    "",
  ].join("\n");
  const file = path.join(dir, "pipeline.yml");
  await writeFile(file, text);
  return file;
}

/**
 * The demo's test pipeline: compile the example's tests (pitstop's own TypeScript when installed),
 * then run them with the test stage driving `node --test`, so a rerun can name only the failed
 * tests. The flaky-test scenario runs it with FAULT_FLAKY_TEST set.
 */
export async function writeDemoTestPipeline(dataDir: string, opts: { tsc: string | null }): Promise<string> {
  const dir = path.join(dataDir, "demo");
  await mkdir(dir, { recursive: true });
  const compile = opts.tsc ? `rm -rf dist/test && node ${JSON.stringify(opts.tsc)} -p tsconfig.json` : "rm -rf dist/test && npx --no-install tsc -p tsconfig.json";
  const text = [
    "# Written by `pitstop demo`: compile the example's tests, run them with the test stage.",
    "name: dashboard-app-tests",
    "jobs:",
    "  compile:",
    `    steps: [{ name: tsc, run: ${JSON.stringify(compile)} }]`,
    "  test:",
    "    needs: [compile]",
    "    agent: test",
    '    with: { command: "node --test dist/test/" }',
    "",
  ].join("\n");
  const file = path.join(dir, "tests.yml");
  await writeFile(file, text);
  return file;
}

/** What the demo's copy of the example leaves out: installed, built and pitstop's own files. */
const NOT_COPIED = new Set(["node_modules", "dist", "reports", ".pitstop"]);

/**
 * A fresh copy of the example in the data directory for the demo to build, test and break, so the
 * checkout's example is never written to (and a `pitstop run` in it at the same time is safe).
 * Its `node_modules` points at pitstop's own, where the workspace install put the example's tools.
 */
export async function prepareDemoWorkspace(exampleDir: string, dir: string, nodeModules: string): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(path.dirname(dir), { recursive: true });
  await cp(exampleDir, dir, { recursive: true, filter: (src) => src === exampleDir || !NOT_COPIED.has(path.relative(exampleDir, src).split(path.sep)[0]!) });
  await symlink(nodeModules, path.join(dir, "node_modules"), "dir");
  return dir;
}
