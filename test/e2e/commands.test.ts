import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, startCli, useTempProjects } from "./cli.js";

describe("init, schema and logs --follow", () => {
  const project = useTempProjects();

  it("init writes a pipeline from the project's scripts that validates, and never overwrites without --force", async () => {
    const dir = await project({
      "package.json": JSON.stringify({ name: "x", scripts: { lint: "eslint .", test: "node --test", build: "tsc" } }),
      "tsconfig.json": "{}",
    });
    const r = await runCli(["init"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote pipeline\.yml with 5 jobs: install, lint, typecheck, test, build/);
    const text = await readFile(path.join(dir, "pipeline.yml"), "utf8");
    expect(text).toContain("run: npm run lint");
    expect(text).toContain("run: npm test");
    expect((await runCli(["validate"], { cwd: dir })).code).toBe(0);
    const again = await runCli(["init"], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists: pass --force/);
    expect((await runCli(["init", "--force"], { cwd: dir })).code).toBe(0);
  });

  it("schema prints a JSON Schema describing both forms", async () => {
    const dir = await project({});
    const r = await runCli(["schema"], { cwd: dir });
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as { properties?: Record<string, unknown> };
    expect(Object.keys(schema.properties ?? {})).toEqual(expect.arrayContaining(["jobs", "pipeline"]));
  });

  it("logs --follow streams a running job's lines and ends with the run", async () => {
    const dir = await project({ "pipeline.yml": "jobs:\n  slow:\n    steps: [{ run: 'for i in 1 2 3 4; do echo line $i; sleep 0.4; done' }]\n" });
    const data = path.join(dir, "data");
    const run = startCli(["run", "--data-dir", data], { cwd: dir });
    await run.waitFor("slow started");
    const follow = await runCli(["logs", "1", "slow", "--follow", "--data-dir", data], { cwd: dir });
    expect(follow.code).toBe(0);
    expect(follow.stdout).toMatch(/line 1[\s\S]*line 4/);
    expect((await run.done).code).toBe(0);
  });
});
