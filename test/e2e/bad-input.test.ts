import { mkdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, useTempProjects } from "./cli.js";

/** Bad input from the list: a clear message, exit 2, nothing run or half-written. */
describe("bad input", () => {
  const project = useTempProjects();

  it("malformed YAML, unknown keys, wrong types, cycles and missing needs are all reported at once", async () => {
    const dir = await project({
      "pipeline.yml": ["jobs:", "  a:", "    neeeds: [b]", "    steps: [{ run: 'true' }]", "  b:", "    needs: [c]", "    timeout: soon", "    steps: [{ run: 'true' }]", "  c:", "    needs: [b, ghost]", "    steps: [{ run: 'true' }]", ""].join("\n"),
    });
    const r = await runCli(["validate"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pipeline\.yml:3:5: .*neeeds.*did you mean `needs`/);
    expect(r.stderr).toMatch(/pipeline\.yml:7:\d+: jobs\.b\.timeout/);
    expect(r.stderr).toMatch(/ghost/);
    expect(r.stderr).toMatch(/b → c → b|c → b → c/);
  });

  it("a YAML syntax error names file:line:column and run does nothing", async () => {
    const dir = await project({ "pipeline.yml": "jobs:\n  a:\n    steps: [ { run: 'x' \n" });
    const r = await runCli(["run", "--data-dir", path.join(dir, "data")], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pipeline\.yml:\d+:\d+:/);
    expect(r.stderr).toMatch(/nothing was run/);
  });

  it("a pipeline file that does not exist or is a directory", async () => {
    const dir = await project({});
    await mkdir(path.join(dir, "pipes"));
    const missing = await runCli(["run", "--file", "nope.yml"], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.yml does not exist: create one with `pitstop init`/);
    const isDir = await runCli(["validate", "pipes"], { cwd: dir });
    expect(isDir.code).toBe(2);
    expect(isDir.stderr).toMatch(/pipes is a directory/);
  });

  it("a secret named but not provided stops the run before anything starts", async () => {
    const dir = await project({ "pipeline.yml": "jobs:\n  a:\n    secrets: [API_TOKEN]\n    steps: [{ run: 'echo hi' }]\n" });
    const r = await runCli(["run", "--data-dir", path.join(dir, "data")], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/secret API_TOKEN \(job a\) is not provided/);
    const runs = await runCli(["runs", "--data-dir", path.join(dir, "data")], { cwd: dir });
    expect(runs.stdout).toMatch(/no runs yet/);
  });

  it("a data directory that cannot be written", async () => {
    const dir = await project({ "pipeline.yml": "jobs:\n  a:\n    steps: [{ run: 'true' }]\n" });
    // /proc is read-only even for root, unlike a chmod-ed directory.
    const r = await runCli(["run", "--data-dir", "/proc/pitstop-data"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/data directory \/proc\/pitstop-data is not writable .*--data-dir or PITSTOP_DATA_DIR/);
  });

  it("bad flags are usage errors", async () => {
    const dir = await project({ "pipeline.yml": "jobs:\n  a:\n    steps: [{ run: 'true' }]\n" });
    expect((await runCli(["run", "--env", "1BAD=x", "--data-dir", path.join(dir, "d")], { cwd: dir })).code).toBe(2);
    expect((await runCli(["run", "--job", "nope", "--data-dir", path.join(dir, "d")], { cwd: dir })).code).toBe(2);
    expect((await runCli(["frobnicate"], { cwd: dir })).code).toBe(2);
    expect((await runCli(["show", "999", "--data-dir", path.join(dir, "d")], { cwd: dir })).stderr).toMatch(/no run matches "999"/);
  });
});
