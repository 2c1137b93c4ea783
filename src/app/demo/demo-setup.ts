import { access, mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import { createAppRegistry } from "../app-registry.js";
import { validateOnboarding, type AppSpec } from "../../core/healing/onboarding.js";
import { ErrorCode, PitstopError } from "../../core/errors.js";
import type { AuditLog } from "../../healing/audit/create-audit-log.js";

/** The example app's name in the registry. */
export const DEMO_APP = "dashboard-app";

/** A TCP port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Onboards the example app in stage as `pitstop onboard --no-run` would (validated request, spec
 * in the registry, audited), or returns the spec an earlier demo wrote. The example lives inside
 * pitstop's own checkout, so its directory is the workspace and no clone is made.
 */
export async function ensureDemoApp(dataDir: string, exampleDir: string, audit: AuditLog): Promise<{ spec: AppSpec; reused: boolean }> {
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
    createdAt: new Date().toISOString(), workspace: exampleDir,
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
