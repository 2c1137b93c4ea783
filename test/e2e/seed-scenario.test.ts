import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startAdvisoryServer, minimistAdvisory, type AdvisoryServer } from "../agents/security/advisory-server.js";
import { npmProject } from "../agents/security/fixture-projects.js";
import { startCaptureServer, type CaptureServer } from "../notify/helpers/capture-server.js";
import { ROOT, runCli, useTempProjects } from "./cli.js";

/**
 * The seed design's test scenario (seeds/004), end to end through the real CLI and agents:
 * lint ok → 2 tests fail → retried → pass → build ok → security finds one high vulnerability →
 * pipeline halted → Slack message with the report received by a local server.
 */
describe("seed scenario", () => {
  const project = useTempProjects();
  const servers: Array<AdvisoryServer | CaptureServer> = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  it("halts on the high vulnerability after a retried test stage, and Slack gets the report", async () => {
    // npm caches advisories by id in ~/.npm: a fresh id keeps another test's copy out of this one.
    const id = 900_000 + Math.floor(Math.random() * 99_999);
    const advisories = await startAdvisoryServer({ advisories: { minimist: [minimistAdvisory({ id })] }, versions: { minimist: ["1.2.0", "1.2.5", "1.2.6", "1.2.8"] } });
    const slack = await startCaptureServer();
    servers.push(advisories, slack);
    const dir = await project({
      "pipeline.yml": [
        "pipeline:",
        "  stages:",
        "    - lint",
        "    - test",
        "    - build",
        "    - security",
        "    - deploy",
        `    - report: { slack_webhook: "${slack.url("/hook")}" }`,
        "  retry_on_failure: true",
        "",
      ].join("\n"),
      "eslint.config.js": 'export default [{ files: ["**/*.js"], rules: { "no-unused-vars": "error" } }];\n',
    });
    await npmProject(dir, { minimist: "1.2.0" }, { exact: true });
    const pkg = { name: "fixture-app", version: "1.0.0", private: true, type: "module", dependencies: { minimist: "1.2.0" }, scripts: { test: "node --test", build: "mkdir -p dist && cp src/index.js dist/" } };
    await writeFile(path.join(dir, "package.json"), JSON.stringify(pkg, null, 2));
    await mkdir(path.join(dir, "src"));
    await writeFile(path.join(dir, "src", "index.js"), "export const add = (a, b) => a + b;\n");
    // Two tests that fail on the first attempt only (a marker file remembers they ran).
    const flaky = (name: string) =>
      `import { test } from "node:test";\nimport { existsSync, writeFileSync } from "node:fs";\n` +
      `test("${name}", () => { const m = new URL("./.${name}.ran", import.meta.url); if (!existsSync(m)) { writeFileSync(m, "1"); throw new Error("${name} failed the first time"); } });\n`;
    await writeFile(path.join(dir, "a.test.js"), flaky("first"));
    await writeFile(path.join(dir, "b.test.js"), flaky("second") + 'test("stable", () => {});\n');

    const env = { PATH: `${path.join(ROOT, "node_modules", ".bin")}:${process.env.PATH}`, PITSTOP_ADVISORY_REGISTRY: advisories.url, npm_config_cache: path.join(dir, ".npm-cache") };
    const r = await runCli(["run", "--json", "--data-dir", path.join(dir, ".pitstop")], { cwd: dir, env });
    const report = JSON.parse(r.stdout) as {
      status: string;
      jobs: Array<{ id: string; status: string; failureClass: string | null; tests: { total: number; failed: number } | null; attempts: Array<{ status: string; failureClass: string | null }> }>;
    };
    const job = (id: string) => report.jobs.find((j) => j.id === id)!;
    expect(report.status, r.stderr).toBe("failed");
    expect(r.code).toBe(1);
    expect(job("lint").status).toBe("succeeded");
    expect(job("test").attempts.map((a) => [a.status, a.failureClass])).toEqual([["failed", "test_failure"], ["succeeded", null]]);
    expect(job("test").tests).toMatchObject({ total: 3, failed: 0 });
    expect(job("build").status).toBe("succeeded");
    expect(job("security")).toMatchObject({ status: "failed", failureClass: "security_finding" });
    expect(job("deploy").status).toBe("skipped");
    expect(job("report").status).toBe("succeeded");

    expect(slack.requests).toHaveLength(1);
    const body = slack.requests[0]!.body;
    expect(body).toContain("minimist");
    expect(body).toContain("GHSA-xvch-5gv4-984h");
    expect(body).toMatch(/upgrade minimist to 1\.2\.\d/);
    expect(body).toMatch(/security/);
  }, 180_000);
});
