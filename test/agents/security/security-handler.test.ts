import { chown, mkdtemp, readFile, readdir, rm, rmdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSecurityHandler } from "../../../src/agents/security/create-security-handler.js";
import { readSarifFindings } from "../../../src/agents/sarif/read-sarif.js";
import type { JobOutcome } from "../../../src/agents/run-job.js";
import type { Vulnerability } from "../../../src/agents/security/parse-npm-audit.js";
import { silentLogger } from "../../../src/core/logger.js";
import { createSandboxExecutor, isSandboxAvailable } from "../../../src/executor/adapters/sandbox.js";
import { NOBODY } from "../../../src/executor/sandbox-host.js";
import { jobContext, planJob, type TestJobContext } from "../helpers/job-context.js";
import { minimistAdvisory, startAdvisoryServer, type AdvisoryServer } from "./advisory-server.js";
import { fakeAwsSecret, fakePrivateKey, npmProject, tempProject, write } from "./fixture-projects.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
// Fixtures live in temp dirs, outside the repo: the repo's secretlint is put on the job's PATH,
// as a project that installs it globally (or in a tool image) would have it.
const TOOLS_PATH = `${path.join(REPO, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? "/usr/bin:/bin"}`;

const cleanup: string[] = [];
let server: AdvisoryServer | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
  for (const dir of cleanup.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function project(prefix: string): Promise<string> {
  const dir = await tempProject(prefix);
  cleanup.push(dir);
  return dir;
}

interface Run {
  outcome: JobOutcome;
  ctx: TestJobContext;
  /** Everything the stage left for people: log lines, stage data, problems, SARIF. */
  everything: string;
  sarif: string;
}

interface StageOptions {
  with?: Record<string, unknown>;
  advisoryRegistry?: string;
  path?: string;
  /** Run the tools in the bubblewrap sandbox (as `sandbox: true` jobs do), with or without network. */
  sandbox?: { network: boolean };
}

async function runStage(workspace: string, opts: StageOptions = {}): Promise<Run> {
  const handler = createSecurityHandler({ dataDir: workspace, log: silentLogger, now: Date.now, agentEnv: {}, ...(opts.advisoryRegistry ? { advisoryRegistry: opts.advisoryRegistry } : {}) });
  // A fresh npm cache per run: npm caches what it works out per advisory id, so a test that
  // serves the same advisory with another severity would otherwise see the previous test's.
  // (The sandbox has a private /tmp of its own.)
  const npmCache = await mkdtemp(path.join(tmpdir(), "pitstop-security-npm-cache-"));
  cleanup.push(npmCache);
  const sandbox = opts.sandbox === undefined ? {} : { sandbox: true, network: opts.sandbox.network };
  const ctx = jobContext({
    workspace,
    job: planJob("security", { with: opts.with ?? {}, ...sandbox }),
    env: { PATH: opts.path ?? TOOLS_PATH, npm_config_cache: opts.sandbox ? "/tmp/npm-cache" : npmCache },
    ...(opts.sandbox ? { executor: createSandboxExecutor() } : {}),
  });
  const outcome = await handler(ctx);
  await ctx.logs.flush();
  const sarif = await readFile(path.join(workspace, ".pitstop/reports/security.sarif"), "utf8").catch(() => "");
  const everything = [...ctx.lines, JSON.stringify(outcome), sarif].join("\n");
  return { outcome, ctx, everything, sarif };
}

/** `stage.data` as docs/stages/security.md describes it. */
interface SecurityData {
  failOn: string;
  blocked: boolean;
  counts: Record<"info" | "low" | "moderate" | "high" | "critical" | "secrets", number>;
  vulnerabilities: Vulnerability[];
  secrets: { file: string; line: number; column: number; rule: string; message: string }[];
  sarif: string;
  audit: { status: string; registry: string; lockfile?: string; dependencies?: number | null; reason?: string };
  secretScan: { status: string; files?: number; reason?: string };
}
const data = (r: Run) => r.outcome.stage?.data as unknown as SecurityData;
const why = (r: Run) => `log:\n${r.ctx.lines.join("\n")}\nrequests:\n${server?.describeRequests() ?? "(no server)"}`;

describe("security stage: secret scan", () => {
  it("finds a planted AWS secret and a private key, fails, and never repeats either secret", async () => {
    const dir = await project("secret");
    const secret = fakeAwsSecret();
    const key = fakePrivateKey();
    const keyBody = key.split("\n")[5]!;
    await write(dir, "src/config.js", `export const config = {\n  region: "eu-west-1",\n  aws_secret_access_key: "${secret}",\n};\n`);
    await write(dir, "deploy/id_rsa", key);
    await write(dir, "README.md", "# app\nNothing secret here.\n");
    // Skipped: build output, gitignored files and pitstop's own directory.
    await write(dir, "dist/bundle.js", `const k = { aws_secret_access_key: "${secret}" };\n`);
    await write(dir, ".gitignore", "local/\n");
    await write(dir, "local/creds.js", `aws_secret_access_key = "${secret}"\n`);
    await write(dir, ".pitstop/old.txt", `aws_secret_access_key = "${secret}"\n`);

    const r = await runStage(dir);

    expect(r.outcome.ok, why(r)).toBe(false);
    expect(r.outcome.hint).toBe("security_finding");
    const d = data(r);
    expect(d.blocked).toBe(true);
    expect(d.counts.secrets).toBe(2);
    const found = (d.secrets as { file: string; line: number; rule: string; message: string }[]).map((s) => `${s.file}:${s.line} ${s.rule}`).sort();
    expect(found).toEqual(["deploy/id_rsa:1 @secretlint/secretlint-rule-privatekey", "src/config.js:3 @secretlint/secretlint-rule-aws"]);
    expect(d.secrets.find((s) => s.file === "src/config.js")?.message).toBe("found AWS Secret Access Key: ****");
    expect(d.audit.status).toBe("skipped");
    expect(r.outcome.stage?.summary).toMatch(/^blocked \(fail_on: high, secrets\): .*2 secrets \((deploy\/id_rsa|src\/config\.js):/);
    // The secret and the key material appear nowhere: log, outcome (stage data, problems), SARIF.
    expect(r.everything).not.toContain(secret);
    expect(r.everything).not.toContain(keyBody);
    // The raw report (which quotes file contents) is gone.
    expect(await readdir(path.join(dir, ".pitstop/tmp"))).toEqual([]);
  });

  it("writes the secrets into SARIF with their positions", async () => {
    const dir = await project("sarif");
    await write(dir, "app.env", `REGION=eu\nAWS_SECRET_ACCESS_KEY=${fakeAwsSecret()}\n`);
    const r = await runStage(dir);
    const read = readSarifFindings(r.sarif);
    expect(read.problem).toBeNull();
    expect(read.tools).toEqual(["secretlint"]);
    expect(read.findings).toMatchObject([{ tool: "secretlint", file: "app.env", line: 2, column: 1, rule: "@secretlint/secretlint-rule-aws", severity: "error" }]);
    expect(data(r).sarif).toBe(".pitstop/reports/security.sarif");
  });

  it("secrets: warn reports the secret without failing", async () => {
    const dir = await project("warn");
    await write(dir, "app.env", `AWS_SECRET_ACCESS_KEY=${fakeAwsSecret()}\n`);
    const r = await runStage(dir, { with: { secrets: "warn" } });
    expect(r.outcome.ok, why(r)).toBe(true);
    expect(data(r).counts.secrets).toBe(1);
    expect(data(r).blocked).toBe(false);
    expect(r.outcome.problems).toEqual(["1 secret found (not failing: security.secrets is warn)"]);
  });

  it("says how to get secretlint when the project cannot run it", async () => {
    const dir = await project("no-tool");
    await write(dir, "a.txt", "hello\n");
    const r = await runStage(dir, { path: "/usr/local/bin:/usr/bin:/bin" });
    expect(r.outcome.ok).toBe(false);
    expect(r.outcome.hint).toBe("command_not_found");
    expect(r.outcome.setupError).toBe(
      "secretlint not found: add secretlint and @secretlint/secretlint-rule-preset-recommend to devDependencies or set security.secrets: false",
    );
  });

  it("passes an empty working tree", async () => {
    const dir = await project("empty");
    const r = await runStage(dir);
    expect(r.outcome.ok, why(r)).toBe(true);
    expect(data(r).secretScan).toMatchObject({ status: "ok", files: 0 });
  });
});

describe("security stage: dependency audit against a local advisory server", () => {
  it("one high vulnerability halts the pipeline and says which package, which advisory, which fix", async () => {
    server = await startAdvisoryServer({ advisories: { minimist: [minimistAdvisory()] }, versions: { minimist: ["1.2.0", "1.2.5", "1.2.6", "1.2.8"] } });
    const dir = await project("vuln");
    await npmProject(dir, { minimist: "1.2.0" }, { exact: true });

    const r = await runStage(dir, { with: { registry: server.url } });

    expect(r.outcome.ok, why(r)).toBe(false);
    expect(r.outcome.hint).toBe("security_finding");
    const d = data(r);
    expect(d).toMatchObject({ failOn: "high", blocked: true, counts: { low: 0, moderate: 0, high: 1, critical: 0, secrets: 0 } });
    expect(d.vulnerabilities).toEqual([
      {
        package: "minimist",
        severity: "high",
        title: "Prototype Pollution in minimist",
        advisory: "https://github.com/advisories/GHSA-xvch-5gv4-984h",
        id: "GHSA-xvch-5gv4-984h",
        range: "<1.2.6",
        fix: "upgrade minimist to 1.2.8",
        installed: ["1.2.0"],
        direct: true,
        via: [],
        cvss: 7.5,
      },
    ]);
    expect(r.outcome.stage?.summary).toBe(
      "blocked (fail_on: high): 1 high vulnerability: minimist@1.2.0: Prototype Pollution in minimist (https://github.com/advisories/GHSA-xvch-5gv4-984h), fix: upgrade minimist to 1.2.8; 0 secrets",
    );
    // npm posted the lockfile's package@version, gzip'd, to the bulk endpoint of the given registry.
    const bulk = server.requests.find((q) => q.method === "POST");
    expect(bulk?.url).toBe("/-/npm/v1/security/advisories/bulk");
    expect(bulk?.headers["content-encoding"]).toBe("gzip");
    expect(bulk?.body).toEqual({ minimist: ["1.2.0"] });
    const read = readSarifFindings(r.sarif);
    expect(read.tools).toEqual(["secretlint", "npm-audit"]);
    expect(read.findings.filter((f) => f.tool === "npm-audit")).toMatchObject([{ rule: "GHSA-xvch-5gv4-984h", severity: "error", file: "package-lock.json", properties: { package: "minimist", fix: "upgrade minimist to 1.2.8" } }]);
    expect(r.ctx.lines.some((l) => l.includes("high     minimist@1.2.0: Prototype Pollution in minimist"))).toBe(true);
  });

  it("a fix within the declared range names the first safe version", async () => {
    server = await startAdvisoryServer({ advisories: { minimist: [minimistAdvisory()] }, versions: { minimist: ["1.2.0", "1.2.6", "1.2.8"] } });
    const dir = await project("caret");
    await npmProject(dir, { minimist: "1.2.0" });
    const r = await runStage(dir, { with: { registry: server.url, secrets: false } });
    expect(r.outcome.ok, why(r)).toBe(false);
    // npm says only `fixAvailable: true` for a fix `npm audit fix` can make within ^1.2.0.
    expect(data(r).vulnerabilities[0]?.fix).toBe("upgrade minimist to >=1.2.6 (npm audit fix)");
  });

  it("fail_on: critical lets the high one pass, still reported", async () => {
    server = await startAdvisoryServer({ advisories: { minimist: [minimistAdvisory()] } });
    const dir = await project("critical");
    await npmProject(dir, { minimist: "1.2.0" });
    const r = await runStage(dir, { with: { registry: server.url, fail_on: "critical" } });
    expect(r.outcome.ok, why(r)).toBe(true);
    expect(data(r)).toMatchObject({ failOn: "critical", blocked: false, counts: { high: 1 } });
    // No packument on this server: npm cannot work a fix out.
    expect(data(r).vulnerabilities[0]?.fix).toBe("no fix available");
  });

  it("fail_on: moderate blocks a moderate one; the agent's advisoryRegistry is used without with.registry", async () => {
    server = await startAdvisoryServer({ advisories: { minimist: [minimistAdvisory({ severity: "moderate" })] } });
    const dir = await project("moderate");
    await npmProject(dir, { minimist: "1.2.0" });
    const r = await runStage(dir, { with: { fail_on: "moderate" }, advisoryRegistry: server.url });
    expect(r.outcome.ok, why(r)).toBe(false);
    expect(data(r).counts.moderate).toBe(1);
    expect(server.requests.length).toBeGreaterThan(0);
  });

  it("a clean project passes, with both runs in the SARIF file", async () => {
    server = await startAdvisoryServer({ advisories: { minimist: [minimistAdvisory({ vulnerable_versions: "<1.2.0" })] } });
    const dir = await project("clean");
    await npmProject(dir, { minimist: "1.2.8", ms: "2.1.3" });
    await write(dir, "index.js", "console.log('hello');\n");
    const r = await runStage(dir, { with: { registry: server.url } });
    expect(r.outcome.ok, why(r)).toBe(true);
    expect(r.outcome.hint).toBeUndefined();
    expect(data(r)).toMatchObject({ blocked: false, counts: { low: 0, moderate: 0, high: 0, critical: 0, secrets: 0 }, vulnerabilities: [], secrets: [] });
    expect(data(r).audit).toMatchObject({ status: "ok", lockfile: "package-lock.json" });
    expect(r.outcome.stage?.summary).toMatch(/^0 vulnerabilities in \d+ dependenc(y|ies); 0 secrets$/);
    // The advisory does not cover 1.2.8: npm itself checks vulnerable_versions against the lockfile.
    expect(server.requests.find((q) => q.method === "POST")?.body).toEqual({ minimist: ["1.2.8"], ms: ["2.1.3"] });
    const sarif = JSON.parse(r.sarif) as { version: string; runs: { tool: { driver: { name: string } }; results: unknown[] }[] };
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs.map((x) => [x.tool.driver.name, x.results.length])).toEqual([["secretlint", 0], ["npm-audit", 0]]);
  });

  it("an advisory service answering 500 fails the stage as infra, not a pass", async () => {
    server = await startAdvisoryServer({ failStatus: 500 });
    const dir = await project("down");
    await npmProject(dir, { minimist: "1.2.0" });
    const r = await runStage(dir, { with: { registry: server.url } });
    expect(r.outcome.ok, why(r)).toBe(false);
    expect(r.outcome.hint).toBe("infra");
    expect(data(r).audit.status).toBe("failed");
    expect(data(r).audit.reason).toContain(`could not get advisories from ${server.url}: 500 Internal Server Error`);
    expect(r.outcome.stage?.summary).toMatch(/^dependency audit failed: npm audit could not get advisories from .*; 0 secrets$/);
  });

  it("audit_unreachable: warn passes without advisories and says so", async () => {
    server = await startAdvisoryServer({ failStatus: 500 });
    const dir = await project("down-warn");
    await npmProject(dir, { minimist: "1.2.0" });
    const r = await runStage(dir, { with: { registry: server.url, audit_unreachable: "warn" } });
    expect(r.outcome.ok, why(r)).toBe(true);
    expect(r.outcome.problems?.[0]).toMatch(/500 Internal Server Error.*\(passing: security.audit_unreachable is warn\)$/);
  });

  it("a registry without the advisory endpoint (404) is named as such", async () => {
    server = await startAdvisoryServer({ failStatus: 404 });
    const dir = await project("no-endpoint");
    await npmProject(dir, { minimist: "1.2.0" });
    const r = await runStage(dir, { with: { registry: server.url, secrets: false } });
    expect(r.outcome.hint).toBe("infra");
    expect(data(r).audit.reason).toContain("does not serve npm's bulk advisory endpoint (404 Not Found");
  });

  it("a Node project without a lockfile is skipped with a problem, not a crash", async () => {
    server = await startAdvisoryServer();
    const dir = await project("nolock");
    await write(dir, "package.json", JSON.stringify({ name: "x", version: "1.0.0", dependencies: { minimist: "^1.2.0" } }));
    const r = await runStage(dir, { with: { registry: server.url } });
    expect(r.outcome.ok, why(r)).toBe(true);
    expect(r.outcome.problems).toEqual([
      "no package-lock.json in the working directory: npm audit reads the lockfile; create it with `npm install --package-lock-only` (and commit it), or set security.audit: false",
    ]);
    expect(data(r).audit.status).toBe("skipped");
    expect(server.requests).toEqual([]);
  });

  it("a vulnerable dependency of a dependency names the advisory it inherits", async () => {
    server = await startAdvisoryServer({ advisories: { minimist: [minimistAdvisory({ severity: "critical" })] } });
    const dir = await project("transitive");
    await npmProject(dir, { minimist: "1.2.0" });
    // mkdirp@0.5.1 depends on minimist 0.0.8 in real life; here on the locked 1.2.0.
    const lock = JSON.parse(await readFile(path.join(dir, "package-lock.json"), "utf8"));
    lock.packages[""].dependencies.mkdirp = "^0.5.1";
    lock.packages["node_modules/mkdirp"] = { version: "0.5.1", dependencies: { minimist: "^1.2.0" } };
    await write(dir, "package-lock.json", JSON.stringify(lock, null, 2));
    await write(dir, "package.json", JSON.stringify({ name: "fixture-app", version: "1.0.0", dependencies: { minimist: "^1.2.0", mkdirp: "^0.5.1" } }));
    const r = await runStage(dir, { with: { registry: server.url, secrets: false } });
    expect(r.outcome.ok, why(r)).toBe(false);
    const mkdirp = data(r).vulnerabilities.find((v: { package: string }) => v.package === "mkdirp");
    expect(mkdirp).toMatchObject({ severity: "critical", title: "depends on vulnerable minimist", advisory: "https://github.com/advisories/GHSA-xvch-5gv4-984h", via: ["minimist"] });
    expect(data(r).secretScan.status).toBe("off");
  });
});

describe("security stage: options", () => {
  it.each([
    [{ fail_on: "medium" }, "with.fail_on: expected low, moderate, high or critical (npm's advisory severities)"],
    [{ failon: "high" }, "with.failon: unknown option of the security stage (did you mean `fail_on`?)"],
    [{ registry: "registry.local" }, "with.registry: expected an http(s) URL such as https://registry.npmjs.org/"],
    [{ secrets: "maybe" }, "with.secrets: expected true, false or `warn` (report secrets without failing)"],
    [{ exclude: ["../etc/**"] }, "with.exclude.0: expected a glob relative to the working directory (no leading `/` or `!`, no `..`), such as `fixtures/**`"],
    [{ secrets: false, audit: false }, "with.secrets and with.audit: both scans are switched off, so the stage would check nothing: enable one or remove the stage"],
  ])("refuses %j", async (bad, message) => {
    const dir = await project("opts");
    const r = await runStage(dir, { with: bad });
    expect(r.outcome).toMatchObject({ ok: false, setupError: message });
  });

  it("accepts the keys every short-form job carries, and exclude narrows the scan", async () => {
    const dir = await project("exclude");
    await write(dir, "fixtures/leaky.env", `AWS_SECRET_ACCESS_KEY=${fakeAwsSecret()}\n`);
    const r = await runStage(dir, { with: { notify_on_success: true, deploy_environment: "dev", exclude: ["fixtures/**"] } });
    expect(r.outcome.ok, why(r)).toBe(true);
    expect(data(r).counts.secrets).toBe(0);
  });
});

const sandbox = await isSandboxAvailable();

describe.skipIf(!sandbox.ok)("security stage in the sandbox (sandbox: true)", () => {
  // As root the sandbox runs as nobody, so the workspace must belong to nobody (see sandbox.ts).
  async function sandboxProject(prefix: string): Promise<string> {
    const dir = await project(prefix);
    await npmProject(dir, { minimist: "1.2.0" }, { exact: true });
    await write(dir, "app.env", `AWS_SECRET_ACCESS_KEY=${fakeAwsSecret()}\n`);
    if (process.getuid?.() === 0) await chown(dir, NOBODY.uid, NOBODY.gid);
    return dir;
  }

  it("scans and audits with network: true", async () => {
    server = await startAdvisoryServer({ advisories: { minimist: [minimistAdvisory()] }, versions: { minimist: ["1.2.0", "1.2.8"] } });
    const dir = await sandboxProject("sandbox");
    const r = await runStage(dir, { with: { registry: server.url }, sandbox: { network: true } });
    expect(r.outcome.hint, why(r)).toBe("security_finding");
    expect(data(r).counts).toMatchObject({ high: 1, secrets: 1 });
    expect(data(r).vulnerabilities[0]?.fix).toBe("upgrade minimist to 1.2.8");
  });

  it("without network the audit fails as infra and says to allow network", async () => {
    server = await startAdvisoryServer({ advisories: { minimist: [minimistAdvisory()] } });
    const dir = await sandboxProject("sandbox-offline");
    const r = await runStage(dir, { with: { registry: server.url, secrets: false }, sandbox: { network: false } });
    expect(r.outcome.hint, why(r)).toBe("infra");
    expect(data(r).audit.reason).toContain("(the job runs sandboxed without network: set network: true)");
    expect(server.requests).toEqual([]);
  });
});

describe("security stage on examples/dashboard-app (a workspace member)", () => {
  const app = path.join(REPO, "examples/dashboard-app");
  const sarif = path.join(app, ".pitstop/reports/security.sarif");
  let hadSarif = false;

  beforeAll(async () => {
    hadSarif = await stat(sarif).then(() => true, () => false);
  });
  afterAll(async () => {
    if (!hadSarif) await rm(sarif, { force: true });
    // Directories the stage made, when nothing else uses them (rmdir leaves non-empty ones).
    for (const dir of [".pitstop/tmp", ".pitstop/reports", ".pitstop"]) await rmdir(path.join(app, dir)).catch(() => undefined);
  });

  it("audits the member's tree from the root lockfile and passes when nothing is reported", async () => {
    server = await startAdvisoryServer({ advisories: { zod: [minimistAdvisory({ title: "should not be asked about", vulnerable_versions: "*" })] } });
    const r = await runStage(app, { with: { registry: server.url, notify_on_success: true, deploy_environment: "dev" } });
    expect(r.outcome.ok, why(r)).toBe(true);
    expect(data(r).audit).toMatchObject({ status: "ok", lockfile: "../../package-lock.json" });
    expect(data(r).counts).toMatchObject({ high: 0, critical: 0, secrets: 0 });
    const asked = server.requests.find((q) => q.method === "POST")?.body as Record<string, string[]>;
    // The app's own devDependencies, not pitstop's dependencies (zod, pg) from the same lockfile.
    expect(Object.keys(asked)).toContain("eslint");
    expect(Object.keys(asked)).toContain("typescript");
    expect(Object.keys(asked)).not.toContain("zod");
    expect(Object.keys(asked)).not.toContain("pg");
    expect(data(r).secretScan.files).toBeGreaterThan(5);
  });
});
