import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, useTempProjects } from "./cli.js";

/** A test that fails on its first run only (FAULT_FLAKY_TEST names its marker), and one that passes. */
const FLAKY_TEST = `
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
test("flaky once", () => {
  const marker = process.env.FAULT_FLAKY_TEST;
  if (marker && !existsSync(marker)) {
    writeFileSync(marker, "x");
    assert.fail("injected flaky failure");
  }
});
test("steady", () => assert.equal(1 + 1, 2));
`;

const PIPELINE = `jobs:
  test:
    agent: test
    with: { command: "node --test test/" }
`;

interface RunJson {
  status: string;
  healing: Array<{ event: { kind: string }; outcome: { status: string; steps: Array<{ action: string; verdict: string | null }> }; feedback: string | null }>;
}

describe("pitstop run with healing (e2e, built CLI)", () => {
  const project = useTempProjects();

  it("refuses bad healing flags before anything runs (exit 2)", async () => {
    const dir = await project({ "pipeline.yml": PIPELINE });
    const cases: Array<[string[], RegExp]> = [
      [["--fail-type", "crsh"], /--fail-type "crsh": unknown fault \(did you mean `crash`\?\)/],
      [["--force-anomaly"], /--force-anomaly needs --dataset <csv>/],
      [["--force-anomaly", "--dataset", "nope.csv"], /--dataset nope\.csv: no such file/],
      [["--dataset", "x.csv"], /--dataset is only used with --force-anomaly/],
      [["--force-anomaly", "--dataset", "."], /--dataset \.: not a file/],
      [["--heal", "--heal-env", "qa"], /--heal-env "qa": use one of dev, stage, prod/],
    ];
    for (const [flags, message] of cases) {
      const r = await runCli(["run", "--data-dir", path.join(dir, ".data"), ...flags], { cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it("--fail-type flaky: the test fails once, the loop reruns only it, asks for feedback, and the run ends green", async () => {
    const dir = await project({ "pipeline.yml": PIPELINE });
    const { mkdir, writeFile } = await import("node:fs/promises");
    await mkdir(path.join(dir, "test"));
    await writeFile(path.join(dir, "test", "flaky.test.mjs"), FLAKY_TEST);
    const data = path.join(dir, ".data");
    const r = await runCli(["run", "--data-dir", data, "--fail-type", "flaky", "--feedback", "--json"], { cwd: dir, input: "maybe\ny\ny\n" });
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as RunJson;
    expect(json.status).toBe("failed");
    expect(json.healing.map((h) => [h.event.kind, h.outcome.steps[0]?.action, h.outcome.status, h.feedback])).toEqual([
      ["job_failure", "rerun_failed_tests", "healed", "accept"],
      ["flaky_test", "quarantine_test", "healed", "accept"],
    ]);
    expect(r.stderr).toMatch(/accept rerun_failed_tests for this problem\? \(y\/n\) please answer y or n/);
    const quarantine = await runCli(["quarantine", "--data-dir", data, "--json"], { cwd: dir });
    expect(quarantine.stdout).toContain("flaky once");
    const decisions = await runCli(["decisions", "--data-dir", data, "--json"], { cwd: dir });
    expect(decisions.code).toBe(0);
  }, 120_000);

  it("--force-anomaly on a dataset without the seed columns: its findings become an incident, not a crash", async () => {
    const dir = await project({ "pipeline.yml": PIPELINE, "data.csv": "name,age\nann,x\nbob,\n" });
    const { mkdir, writeFile } = await import("node:fs/promises");
    await mkdir(path.join(dir, "test"));
    await writeFile(path.join(dir, "test", "ok.test.mjs"), 'import { test } from "node:test";\ntest("ok", () => {});\n');
    const r = await runCli(["run", "--data-dir", path.join(dir, ".data"), "--force-anomaly", "--dataset", "data.csv", "--json"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as RunJson;
    expect(json.healing.map((h) => [h.event.kind, h.outcome.steps[0]?.action, h.outcome.status])).toEqual([["data_anomaly", "escalate", "escalated"]]);
  }, 120_000);
});
