import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createTestHandler } from "../../../src/agents/test/create-test-handler.js";
import { jobContext, planJob } from "../helpers/job-context.js";
import { fixtureProject, removeAll, stageDeps } from "./fixture-project.js";

const dirs: string[] = [];
afterEach(() => removeAll(dirs));

const handler = createTestHandler(stageDeps());

async function setupErrorFor(withOptions: Record<string, unknown>, extra: Partial<Parameters<typeof planJob>[1]> = {}): Promise<string | null> {
  const ws = await fixtureProject("node-coverage", dirs);
  const out = await handler(jobContext({ workspace: ws, job: planJob("test", { ...extra, with: withOptions }) }));
  expect(out.ok).toBe(false);
  expect(out.last).toBeNull();
  return out.setupError;
}

describe("test stage: bad input", () => {
  it("an unknown option suggests the right one", async () => {
    expect(await setupErrorFor({ runnr: "node" })).toBe("with.runnr: unknown option for the test stage (did you mean `runner`?)");
    expect(await setupErrorFor({ colour: true })).toMatch(/^with\.colour: unknown option for the test stage \(valid options are runner, command, args, junit, coverage, rerun_failed\)$/);
  });

  it("a bad value names the field and what is expected", async () => {
    expect(await setupErrorFor({ runner: "ava" })).toBe("with.runner: expected one of node, vitest, jest, mocha, pytest, command");
    expect(await setupErrorFor({ coverage: 3 })).toBe("with.coverage: expected true, false or the path of an lcov or Cobertura file");
    expect(await setupErrorFor({ junit: [3] })).toBe("with.junit: expected a string or a list of strings");
    expect(await setupErrorFor({ runner: "command" })).toMatch(/^with\.runner: `command` runs with\.command as written, but with\.command is not set/);
  });

  it("report and coverage paths must stay inside the workspace", async () => {
    expect(await setupErrorFor({ command: "true", junit: "../../etc/*.xml" })).toBe("with.junit: `../../etc/*.xml` leaves the workspace: use a path relative to the project");
    expect(await setupErrorFor({ coverage: "/etc/passwd" })).toBe("with.coverage: `/etc/passwd` leaves the workspace: use a path relative to the project");
  });

  it("with.runner node on a command without `node --test` says what to do", async () => {
    expect(await setupErrorFor({ runner: "node", command: "npm run unit" })).toMatch(/^with\.runner: `node` needs `node --test` in with\.command/);
  });

  it("a project without tests says how to tell pitstop what to run", async () => {
    const ws = await fixtureProject(null, dirs);
    await writeFile(path.join(ws, "package.json"), JSON.stringify({ scripts: { test: 'echo "Error: no test specified" && exit 1' } }));
    const out = await handler(jobContext({ workspace: ws, job: planJob("test") }));
    expect(out.setupError).toMatch(/^no test runner found in .+: add a `test` script to package\.json \(vitest, jest, mocha or node --test\), a pytest configuration, or set test\.command$/);
  });

  it("a broken package.json is named", async () => {
    const ws = await fixtureProject(null, dirs);
    await writeFile(path.join(ws, "package.json"), "{ scripts: ");
    const out = await handler(jobContext({ workspace: ws, job: planJob("test") }));
    expect(out.setupError).toMatch(/^package\.json: not valid JSON \(.+\): fix it or set test\.command$/);
  });

  it("the short form's shared keys are accepted", async () => {
    const ws = await fixtureProject("node-coverage", dirs);
    const out = await handler(jobContext({ workspace: ws, job: planJob("test", { with: { notify_on_success: true, deploy_environment: "dev" } }) }));
    expect(out.ok).toBe(true);
  });
});
