import { mkdtemp, rm } from "node:fs/promises";
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
