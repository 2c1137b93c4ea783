import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, useTempProjects } from "./cli.js";

describe("pitstop run on real processes", () => {
  const project = useTempProjects();

  it("a secret printed by a step never appears in logs, plain, base64, URL-encoded or per line", async () => {
    const secret = "s3cr3t-Value/with+chars";
    const multi = "line-one-AAA\nline-two-BBB";
    const dir = await project({
      "pipeline.yml": [
        "jobs:",
        "  leak:",
        "    secrets: [TOKEN, MULTI]",
        "    steps:",
        "      - run: echo \"plain $TOKEN\"",
        "      - run: printf '%s' \"$TOKEN\" | base64",
        "      - run: node -e 'console.log(encodeURIComponent(process.env.TOKEN))'",
        "      - run: echo \"$MULTI\"",
        "",
      ].join("\n"),
    });
    const env = { TOKEN: secret, MULTI: multi };
    const data = path.join(dir, "data");
    const r = await runCli(["run", "--data-dir", data], { cwd: dir, env });
    expect(r.code).toBe(0);
    const logs = await runCli(["logs", "1", "--data-dir", data], { cwd: dir });
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain("plain ***");
    for (const leaked of [secret, Buffer.from(secret).toString("base64"), encodeURIComponent(secret), "line-one-AAA", "line-two-BBB"]) {
      expect(logs.stdout).not.toContain(leaked);
      expect(r.stdout + r.stderr).not.toContain(leaked);
    }
  });

  it("a secret from .pitstop/secrets.env is used and masked", async () => {
    const dir = await project({ "pipeline.yml": "jobs:\n  a:\n    secrets: [DB_PASSWORD]\n    steps: [{ run: 'echo pw=$DB_PASSWORD' }]\n" });
    const data = path.join(dir, ".pitstop");
    const { mkdir, writeFile } = await import("node:fs/promises");
    await mkdir(data, { recursive: true });
    await writeFile(path.join(data, "secrets.env"), "# test\nDB_PASSWORD=\"hunter2-long\"\n");
    expect((await runCli(["run"], { cwd: dir })).code).toBe(0);
    const logs = await runCli(["logs", "1", "a"], { cwd: dir });
    expect(logs.stdout).toContain("pw=***");
    expect(logs.stdout).not.toContain("hunter2");
  });

  it("5 MB of output is capped with a note, invalid UTF-8 survives, and the job still succeeds", async () => {
    const dir = await project({
      "pipeline.yml": [
        "jobs:",
        "  loud:",
        "    steps:",
        "      - run: printf 'bad \\377\\376 bytes\\n'",
        "      - run: node -e 'const l=\"x\".repeat(99)+\"\\n\"; for(let i=0;i<52429;i++) process.stdout.write(l)'",
        "",
      ].join("\n"),
    });
    const data = path.join(dir, "data");
    const r = await runCli(["run", "--json", "--data-dir", data], { cwd: dir, env: { PITSTOP_OUTPUT_LIMIT: String(1024 * 1024) } });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { jobs: Array<{ attempts: Array<{ outputBytes: number; truncatedBytes: number }> }> };
    const a = report.jobs[0]!.attempts[0]!;
    expect(a.outputBytes).toBeLessThanOrEqual(1024 * 1024);
    expect(a.truncatedBytes).toBeGreaterThan(3.9 * 1024 * 1024);
    const logs = await runCli(["logs", "1", "loud", "--data-dir", data], { cwd: dir });
    expect(logs.stdout).toContain("bad \\xFF\\xFE bytes");
    expect(logs.stdout).toMatch(/output truncated: \d+ bytes beyond the 1048576-byte limit/);
  });

  it("a step whose command does not exist fails with class command_not_found; dependents are skipped", async () => {
    const dir = await project({ "pipeline.yml": "jobs:\n  a:\n    steps: [{ run: definitely-not-a-command-xyz }]\n  b:\n    needs: [a]\n    steps: [{ run: 'true' }]\n" });
    const r = await runCli(["run", "--json", "--data-dir", path.join(dir, "d")], { cwd: dir });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { status: string; jobs: Array<{ id: string; status: string; failureClass: string | null; reason: string | null }> };
    expect(report.status).toBe("failed");
    expect(report.jobs[0]).toMatchObject({ id: "a", status: "failed", failureClass: "command_not_found" });
    expect(report.jobs[1]).toMatchObject({ id: "b", status: "skipped", reason: "needs a, which failed" });
  });

  it("JUnit reports are ingested; a malformed one is a problem of the job, not a crash", async () => {
    const junit = `<?xml version="1.0"?><testsuite name="s" tests="3"><testcase name="ok" time="0.1"/><testcase name="bad" time="0.2"><failure message="boom">trace</failure></testcase><testcase name="skip"><skipped/></testcase></testsuite>`;
    const dir = await project({
      "pipeline.yml": "jobs:\n  t:\n    reports: { junit: 'reports/*.xml' }\n    steps:\n      - run: mkdir -p reports && cp good.xml reports/good.xml && cp broken.xml reports/broken.xml\n",
      "good.xml": junit,
      "broken.xml": "<testsuite><testcase name=\"x\"",
    });
    const data = path.join(dir, "d");
    const r = await runCli(["run", "--json", "--data-dir", data], { cwd: dir });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { tests: Record<string, number> };
    expect(report.tests).toMatchObject({ total: 3, passed: 1, failed: 1, skipped: 1 });
    const logs = await runCli(["logs", "1", "--data-dir", data], { cwd: dir });
    expect(logs.stdout).toMatch(/problem: .*broken\.xml/);
  });
});
