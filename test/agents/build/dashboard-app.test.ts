import { cp, readFile, symlink } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";
import type { BuildData } from "../../../src/agents/build/build-report.js";
import { jobContext, planJob } from "../helpers/job-context.js";
import { buildSetup, tempDirs } from "./build-fixtures.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const APP = path.join(ROOT, "examples", "dashboard-app");
const dirs = tempDirs();
afterEach(() => dirs.removeAll());

// A copy of the example app, so this test never races other tests that build examples/dashboard-app
// in place; its node_modules points at the root's (workspace hoisting), like a fresh clone's would.
it("builds examples/dashboard-app with the short-form build stage and stores dist/", async () => {
  const ws = await dirs.make("pitstop-dashboard-");
  await cp(APP, ws, { recursive: true, filter: (src) => !/[/\\](dist|reports|node_modules|\.pitstop)$/.test(src) });
  await symlink(path.join(ROOT, "node_modules"), path.join(ws, "node_modules"));
  const { handler, store } = buildSetup(await dirs.make("pitstop-dashboard-data-"), { DOCKER_HOST: "unix:///nonexistent/docker.sock" });
  const job = planJob("build", { with: { notify_on_success: true, deploy_environment: "dev" } });
  const ctx = jobContext({ workspace: ws, job });
  const out = await handler(ctx);
  await ctx.logs.flush();
  expect(out.setupError, ctx.lines.join("\n")).toBeNull();
  expect(out.ok, ctx.lines.join("\n")).toBe(true);
  const data = out.stage!.data as unknown as BuildData;
  expect(data.command).toBe("npm run build");
  const paths = data.artifacts!.items.map((i) => i.path);
  expect(paths).toContain("dist/release.json");
  expect(paths).toContain("dist/src/server.js");
  expect(paths.every((p) => p.startsWith("dist/"))).toBe(true);
  expect(data.image).toBeUndefined(); // the example has no Dockerfile
  const manifest = await store.getManifest("run-test", "build");
  expect(manifest?.digest).toBe(data.artifacts!.digest);
  const release = manifest!.files.find((f) => f.path === "dist/release.json")!;
  const restored = await dirs.make("pitstop-dashboard-out-");
  await store.fetch("run-test", "dist/release.json", restored);
  expect(JSON.parse(await readFile(path.join(restored, "dist/release.json"), "utf8"))).toMatchObject({ name: "dashboard-app", version: "0.1.0" });
  expect(release.size).toBeGreaterThan(0);
  expect(out.stage!.summary).toMatch(/^built; \d+ artifacts \(\d+(\.\d)? KiB\), digest sha256:[0-9a-f]{12}…$/);
});
