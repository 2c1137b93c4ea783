import path from "node:path";
import { readFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, startCli as spawnCli, useTempProjects, waitGone, type Spawned } from "./cli.js";

describe("cancellation and crash recovery", () => {
  const project = useTempProjects();
  const started: Spawned[] = [];
  afterEach(() => {
    for (const s of started.splice(0)) if (s.child.exitCode === null) s.child.kill("SIGKILL");
  });
  function startCli(...args: Parameters<typeof spawnCli>): Spawned {
    const s = spawnCli(...args);
    started.push(s);
    return s;
  }

  it("pitstop cancel from another process kills the job's process group and marks the run cancelled", async () => {
    const dir = await project({
      "pipeline.yml": "jobs:\n  long:\n    steps:\n      - run: 'sleep 120 & echo $! > child.pid; wait'\n  after:\n    needs: [long]\n    steps: [{ run: 'true' }]\n",
    });
    const data = path.join(dir, "data");
    const run = startCli(["run", "--data-dir", data], { cwd: dir });
    await run.waitFor("long started");
    let childPid = 0;
    for (let i = 0; i < 50 && !childPid; i++) {
      childPid = Number(await readFile(path.join(dir, "child.pid"), "utf8").catch(() => "0"));
      if (!childPid) await new Promise((r) => setTimeout(r, 100));
    }
    expect(childPid).toBeGreaterThan(0);
    expect(await waitGone(childPid, 0)).toBe(false);
    const cancel = await runCli(["cancel", "1", "--data-dir", data], { cwd: dir });
    expect(cancel.code).toBe(0);
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/run #1 cancelled/);
    expect(await waitGone(childPid)).toBe(true);
    const show = JSON.parse((await runCli(["show", "1", "--json", "--data-dir", data], { cwd: dir })).stdout) as { status: string; jobs: Array<{ status: string; reason: string | null }> };
    expect(show.status).toBe("cancelled");
    expect(show.jobs.map((j) => j.status)).toEqual(["cancelled", "skipped"]);
    expect(show.jobs[1]!.reason).toBe("run cancelled");
  });

  it("a killed orchestrator's run is adopted and finished by the next pitstop on the data directory", async () => {
    const dir = await project({
      "pipeline.yml": [
        "jobs:",
        "  first:",
        "    steps:",
        "      - run: |",
        "          echo attempt $PITSTOP_ATTEMPT",
        "          if [ \"$PITSTOP_ATTEMPT\" = 1 ]; then sleep 60 & echo $! > orphan.pid; wait; fi",
        "  second:",
        "    needs: [first]",
        "    steps: [{ run: 'echo second ran' }]",
        "",
      ].join("\n"),
    });
    const data = path.join(dir, "data");
    const run = startCli(["run", "--data-dir", data, "--lease-ms", "2000"], { cwd: dir });
    await run.waitFor("first started");
    let orphan = 0;
    for (let i = 0; i < 50 && !orphan; i++) {
      orphan = Number(await readFile(path.join(dir, "orphan.pid"), "utf8").catch(() => "0"));
      if (!orphan) await new Promise((r) => setTimeout(r, 100));
    }
    run.child.kill("SIGKILL");
    await run.done;
    expect(await waitGone(orphan, 0)).toBe(false); // the job's process outlives a SIGKILLed pitstop…
    const before = JSON.parse((await runCli(["show", "1", "--json", "--data-dir", data], { cwd: dir })).stdout) as { status: string };
    expect(before.status).toBe("running");
    const resume = await runCli(["resume", "--data-dir", data], { cwd: dir });
    expect(resume.code).toBe(0);
    expect(await waitGone(orphan)).toBe(true); // …until the next pitstop on the data directory kills it
    const after = JSON.parse((await runCli(["show", "1", "--json", "--data-dir", data], { cwd: dir })).stdout) as {
      status: string;
      jobs: Array<{ id: string; status: string; attempts: Array<{ status: string; failureClass: string | null }> }>;
    };
    expect(after.status).toBe("succeeded");
    expect(after.jobs[0]!.attempts.map((a) => a.status)).toEqual(["lost", "succeeded"]);
    expect(after.jobs[0]!.attempts[0]!.failureClass).toBe("agent_lost");
    expect(after.jobs[1]!.status).toBe("succeeded");
    const logs = await runCli(["logs", "1", "--data-dir", data], { cwd: dir });
    expect(logs.stdout).toContain("attempt 2");
    expect(logs.stdout).toContain("second ran");
  });

  it("a second pitstop on the same data directory is refused while the first runs", async () => {
    const dir = await project({ "pipeline.yml": "jobs:\n  a:\n    steps: [{ run: 'sleep 5' }]\n" });
    const data = path.join(dir, "data");
    const first = startCli(["run", "--data-dir", data], { cwd: dir });
    await first.waitFor("a started");
    const second = await runCli(["run", "--data-dir", data], { cwd: dir });
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/another pitstop \(pid \d+\) is running on data directory/);
    first.child.kill("SIGINT");
    const r = await first.done;
    expect(r.code).toBe(1);
  });
});
