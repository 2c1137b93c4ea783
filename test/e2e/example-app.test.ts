import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli } from "./cli.js";

/** The "done when": the example app's full-form pipeline runs green on real processes. */
describe("examples/dashboard-app", () => {
  it("runs pipeline.full.yml green with live progress, tests counted from JUnit", async () => {
    const app = path.join(ROOT, "examples", "dashboard-app");
    const data = await mkdtemp(path.join(os.tmpdir(), "pitstop-example-"));
    try {
      const r = await runCli(["run", "--file", "pipeline.full.yml", "--data-dir", data], { cwd: app });
      expect(r.stderr).toBe("");
      expect(r.code, r.stdout).toBe(0);
      for (const job of ["install", "lint", "typecheck", "test", "build", "smoke"]) expect(r.stdout).toMatch(new RegExp(`✓ ${job} succeeded in`));
      expect(r.stdout).toMatch(/✓ run #1 succeeded/);
      const show = JSON.parse((await runCli(["show", "1", "--json", "--data-dir", data], { cwd: app })).stdout) as { tests: { total: number; failed: number } };
      expect(show.tests.total).toBeGreaterThan(20);
      expect(show.tests.failed).toBe(0);
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  }, 240_000);
});

/** Issue 3's "done when": the short-form pipeline runs all six stages and leaves the app deployed. */
describe("examples/dashboard-app short form", () => {
  it("runs lint, test, build, security, deploy and report green; the app answers; deploy stop stops it", async () => {
    const app = path.join(ROOT, "examples", "dashboard-app");
    const data = await mkdtemp(path.join(os.tmpdir(), "pitstop-example-short-"));
    const port = await freePort();
    // The same pipeline as pipeline.yml, deployed on a free port so the test never collides.
    const pipeline = path.join(data, "pipeline.yml");
    await writeFile(pipeline, (await readFile(path.join(app, "pipeline.yml"), "utf8")).replace("    - deploy\n", `    - deploy: { port: ${port} }\n`));
    try {
      const r = await runCli(["run", "--file", pipeline, "--json", "--data-dir", data], { cwd: app });
      const report = JSON.parse(r.stdout) as { status: string; tests: { total: number }; jobs: Array<{ id: string; status: string; stage: { data: Record<string, unknown> } | null }> };
      expect(report.jobs.map((j) => [j.id, j.status]), r.stderr).toEqual([
        ["lint", "succeeded"],
        ["test", "succeeded"],
        ["build", "succeeded"],
        ["security", "succeeded"],
        ["deploy", "succeeded"],
        ["report", "succeeded"],
      ]);
      expect(report.tests.total).toBeGreaterThan(20);
      const build = report.jobs.find((j) => j.id === "build")!;
      expect((build.stage!.data.artifacts as { digest: string }).digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      const stop = await runCli(["deploy", "stop", "--env", "dev", "--data-dir", data], { cwd: app });
      expect(stop.code, stop.stderr).toBe(0);
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    } finally {
      await runCli(["deploy", "stop", "--env", "dev", "--data-dir", data], { cwd: app });
      await rm(data, { recursive: true, force: true });
      // Stage agents write their reports into the workspace; leave the rest of .pitstop alone.
      await rm(path.join(app, ".pitstop", "reports"), { recursive: true, force: true });
    }
  }, 300_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
