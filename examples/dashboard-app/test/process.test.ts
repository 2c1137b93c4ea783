import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { makeTempDir, startNode, stop } from "./helpers.js";
import type { RunningProcess, TempDir } from "./helpers.js";

const LISTENING = /listening on (http:\/\/127\.0\.0\.1:(\d+))/;

describe("server process", () => {
  const running: RunningProcess[] = [];
  const dirs: TempDir[] = [];
  after(async () => {
    await Promise.all(running.map(stop));
    await Promise.all(dirs.map((d) => d.remove()));
  });

  function start(script: string, env: Record<string, string>): RunningProcess {
    const proc = startNode(script, env);
    running.push(proc);
    return proc;
  }

  it("serves /health with RELEASE_ID and exits 0 on SIGTERM with a keep-alive connection open", async () => {
    const proc = start("server.js", { PORT: "0", RELEASE_ID: "release-7" });
    const [, base] = await proc.waitFor(LISTENING);
    const res = await fetch(`${base}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok", release: "release-7", pid: proc.child.pid });
    proc.child.kill("SIGTERM");
    const exit = await proc.exited;
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.match(proc.output(), /SIGTERM received[\s\S]*server closed/);
  });

  it("reports a null release when RELEASE_ID is unset and reads DATASETS_DIR", async () => {
    const dir = await makeTempDir();
    dirs.push(dir);
    await dir.write("only_one.csv", "a\n1\n");
    const proc = start("server.js", { PORT: "0", DATASETS_DIR: dir.path });
    const [, base] = await proc.waitFor(LISTENING);
    const health = (await (await fetch(`${base}/health`)).json()) as { release: unknown };
    assert.equal(health.release, null);
    const list = (await (await fetch(`${base}/api/datasets`)).json()) as { datasets: Array<{ name: string }> };
    assert.deepEqual(
      list.datasets.map((d) => d.name),
      ["only_one"],
    );
  });

  it("exits 1 with a clear message for a bad PORT or a missing datasets directory", async () => {
    const badPort = start("server.js", { PORT: "eighty" });
    assert.equal((await badPort.exited).code, 1);
    assert.match(badPort.output(), /PORT must be an integer from 0 to 65535 .*got 'eighty'/);
    const noDir = start("server.js", { PORT: "0", DATASETS_DIR: "/nonexistent/datasets" });
    assert.equal((await noDir.exited).code, 1);
    assert.match(noDir.output(), /datasets directory \/nonexistent\/datasets does not exist; create it or set DATASETS_DIR/);
  });
});

describe("check-quality CLI", () => {
  const dirs: TempDir[] = [];
  after(async () => {
    await Promise.all(dirs.map((d) => d.remove()));
  });

  it("exits 0 for the shipped datasets", async () => {
    const proc = startNode("check-quality.js", {});
    assert.equal((await proc.exited).code, 0);
    assert.match(proc.output(), /PASS patient_health[\s\S]*PASS student_scores[\s\S]*all 2 datasets pass/);
  });

  it("exits 1 and names the finding when a dataset breaks a threshold", async () => {
    const dir = await makeTempDir({ withShippedDatasets: true });
    dirs.push(dir);
    await dir.write("patient_health.csv", "patient_id,heart_rate,oxygen_level,timestamp\nP1,135,97,2025-01-15T08:00:00Z\n");
    const proc = startNode("check-quality.js", { DATASETS_DIR: dir.path });
    assert.equal((await proc.exited).code, 1);
    assert.match(proc.output(), /FAIL patient_health[\s\S]*error heart_rate_above_max: heart_rate above 120 in 1 row \(worst 135\) at line 2/);
    assert.match(proc.output(), /1 of 2 datasets fail/);
  });
});
