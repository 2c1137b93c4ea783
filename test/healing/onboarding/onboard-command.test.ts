import { readdir, readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../../../src/app/create-app.js";
import { loadConfig } from "../../../src/config/config.js";
import type { StoredAuditRecord } from "../../../src/core/healing/audit-record.js";
import { CREDENTIALS_MESSAGE, PROD_ONBOARDING_REFUSAL } from "../../../src/core/healing/onboarding.js";
import { verifyChain } from "../../../src/healing/audit/verify-chain.js";
import { GREEN_PIPELINE, makeGitRepo, onboardCli, RED_PIPELINE, tempDirs } from "./fixtures.js";

const dirs = tempDirs();
let dataDir: string;
let cwd: string;
let repo: string;

beforeEach(async () => {
  dataDir = await dirs.make("pitstop-onboard-data-");
  cwd = await dirs.make("pitstop-onboard-cwd-");
  repo = await makeGitRepo(await dirs.make("pitstop-onboard-repo-"), { "pipeline.yml": GREEN_PIPELINE });
});
afterEach(() => dirs.removeAll());

const onboard = (...args: string[]) => onboardCli(args, { cwd, dataDir });

async function auditRecords(): Promise<StoredAuditRecord[]> {
  const store = await openStore(loadConfig({ cwd, env: {}, flags: { dataDir } }));
  try {
    return await store.audit.list();
  } finally {
    await store.close();
  }
}

/** Nothing of the app reached the disk: no registry entry, no checkout, no store. */
async function expectNothingWritten(): Promise<void> {
  expect(await readdir(dataDir)).toEqual([]);
}

describe("pitstop onboard: a local git repository", () => {
  it("writes the app spec, audits RUNTIME_EMIT and runs the first pipeline green", async () => {
    const r = await onboard("shop-api", "--repo", repo, "--runtime", "node", "--env", "stage");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const workspace = await realpath(repo);
    const spec = JSON.parse(await readFile(path.join(dataDir, "apps", "shop-api.json"), "utf8"));
    expect(spec).toEqual({ name: "shop-api", repo: workspace, runtime: "node", environment: "stage", pipeline: "pipeline.yml", createdAt: expect.any(String), workspace });
    expect(Date.parse(spec.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(r.stdout).toContain(`onboarded shop-api (env stage, runtime node): ${path.join(dataDir, "apps", "shop-api.json")}`);
    expect(r.stdout).toMatch(/hello\s.*succeeded|succeeded/);

    const records = await auditRecords();
    expect(records.map((x) => x.type)).toEqual(["RUNTIME_EMIT"]);
    expect(records[0]).toMatchObject({ actor: "user:tester", subject: { app: "shop-api", env: "stage" }, data: { event: "app.onboarded", spec } });

    // The first run is a real run in the store, in the app's workspace, and it succeeded.
    const store = await openStore(loadConfig({ cwd, env: {}, flags: { dataDir } }));
    try {
      const runs = await store.runs.listRuns({ limit: 5 });
      expect(runs.map((x) => [x.status, x.workspace, x.pipelineFile])).toEqual([["succeeded", workspace, "pipeline.yml"]]);
    } finally {
      await store.close();
    }
  });

  it("a red first run exits 1 and keeps the app onboarded", async () => {
    const red = await makeGitRepo(await dirs.make("pitstop-onboard-red-"), { "ci/build.yml": RED_PIPELINE });
    const r = await onboard("red-app", "--repo", red, "--runtime", "python", "--env", "dev", "--pipeline", "ci/build.yml");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("red-app is onboarded but its first run did not succeed (exit 1)");
    expect(JSON.parse(await readFile(path.join(dataDir, "apps", "red-app.json"), "utf8"))).toMatchObject({ pipeline: "ci/build.yml", runtime: "python", environment: "dev" });
  });

  it("--no-run registers only; --json prints the spec", async () => {
    const r = await onboard("quiet", "--repo", repo, "--runtime", "static", "--env", "dev", "--no-run", "--json");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ app: { name: "quiet", runtime: "static" }, specFile: path.join(dataDir, "apps", "quiet.json"), firstRun: null });
    expect(r.stderr).toContain("first run skipped (--no-run): start it with `pitstop run -f pipeline.yml`");
    const store = await openStore(loadConfig({ cwd, env: {}, flags: { dataDir } }));
    try {
      expect(await store.runs.listRuns({ limit: 5 })).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("--json with a run carries the first run's record", async () => {
    const r = await onboard("shop", "--repo", repo, "--runtime", "node", "--env", "stage", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ app: { name: "shop" }, firstRun: { status: "succeeded" } });
  });

  it("a relative path is resolved against the working directory", async () => {
    const r = await onboardCli(["rel", "--repo", path.basename(repo), "--runtime", "node", "--env", "stage", "--no-run"], { cwd: path.dirname(repo), dataDir });
    expect(r.code).toBe(0);
    expect(JSON.parse(await readFile(path.join(dataDir, "apps", "rel.json"), "utf8")).workspace).toBe(await realpath(repo));
  });
});

describe("pitstop onboard: refusals (exit 2)", () => {
  it("refuses a duplicate, naming its env, repo and the file to remove", async () => {
    expect((await onboard("shop", "--repo", repo, "--runtime", "node", "--env", "stage", "--no-run")).code).toBe(0);
    const before = await readFile(path.join(dataDir, "apps", "shop.json"), "utf8");
    const r = await onboard("shop", "--repo", "https://github.com/acme/other.git", "--runtime", "python", "--env", "dev");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`pitstop: app shop is already onboarded (env stage, repo ${await realpath(repo)}): pick another name or remove ${path.join(dataDir, "apps", "shop.json")}\n`);
    expect(await readFile(path.join(dataDir, "apps", "shop.json"), "utf8")).toBe(before);
    expect((await auditRecords()).map((x) => x.type)).toEqual(["RUNTIME_EMIT"]);
  });

  it("refuses prod by policy and records ORCH_REFUSE in the audit chain", async () => {
    const r = await onboard("shop", "--repo", repo, "--runtime", "node", "--env", "prod");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`pitstop: ${PROD_ONBOARDING_REFUSAL}\n`);
    expect(r.stdout).toBe("");
    await expect(stat(path.join(dataDir, "apps"))).rejects.toThrow(/ENOENT/);
    const records = await auditRecords();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      type: "ORCH_REFUSE",
      actor: "user:tester",
      subject: { app: "shop", env: "prod" },
      data: { action: "onboard", reason: PROD_ONBOARDING_REFUSAL, request: { name: "shop", repo, runtime: "node", environment: "prod" } },
    });
    expect(verifyChain(records).ok).toBe(true);
  });

  const hostile: Array<[string, RegExp]> = [
    ["file:///etc", /file:\/\/ URLs are refused/],
    ["ext::sh -c touch% /tmp/pwned", /transport::address/],
    ["fd::3", /transport::address/],
    ["https://github.com/acme/shop.git;id", /shell metacharacters/],
    ["/tmp/x|id", /shell metacharacters/],
    ["/tmp/x&id", /shell metacharacters/],
    ["/tmp/$(id)", /shell metacharacters/],
    ["/tmp/`id`", /shell metacharacters/],
    ["/tmp/x>y", /shell metacharacters/],
    ["/tmp/x<y", /shell metacharacters/],
    ["/tmp/{x}", /shell metacharacters/],
    ["/tmp/x!", /shell metacharacters/],
    ["/tmp/x*", /shell metacharacters/],
    ["/tmp/x?", /shell metacharacters/],
    ["/tmp/'x'", /shell metacharacters/],
    ['/tmp/"x"', /shell metacharacters/],
    ["/tmp/x\nid", /shell metacharacters/],
    ["/tmp/my repo", /spaces/],
    ["../../etc", /`\.\.` segments are refused/],
    ["https://github.com/acme/../../etc", /`\.\.` segments/],
    ["--upload-pack=touch", /starts with `-`/],
    ["https://alice:hunter2@github.com/acme/shop.git", new RegExp(CREDENTIALS_MESSAGE)],
  ];
  it.each(hostile)("refuses --repo %j and writes nothing", async (url, message) => {
    const r = await onboard("shop", `--repo=${url}`, "--runtime", "node", "--env", "stage");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^pitstop: cannot onboard "shop": 1 problem; nothing was written\n {2}repo: --repo: /);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
    await expectNothingWritten();
  });

  it.each(["Shop", "-shop", "a", "../../etc/passwd", "shop;id", "x".repeat(41)])("refuses the name %j and writes nothing", async (name) => {
    const r = await onboard("--runtime", "node", "--env", "stage", "--repo", repo, "--", name);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/name: .* is not a valid app name: use 2–40 lowercase letters, digits and dashes/);
    await expectNothingWritten();
  });

  it("refuses a directory that is not a git repository, or is missing", async () => {
    const plain = await dirs.make("pitstop-onboard-plain-");
    let r = await onboard("shop", "--repo", plain, "--runtime", "node", "--env", "stage");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`is not a git repository: run \`git init\` and commit there, or give the path of a clone`);
    r = await onboard("shop", "--repo", path.join(plain, "gone"), "--runtime", "node", "--env", "stage");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no directory at");
    await expectNothingWritten();
  });

  it("refuses a missing pipeline file unless --no-run", async () => {
    const r = await onboard("shop", "--repo", repo, "--runtime", "node", "--env", "stage", "--pipeline", "ci/none.yml");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--pipeline: ci/none.yml not found in");
    await expectNothingWritten();
  });

  it("names bad runtime and env with a did-you-mean, all at once", async () => {
    const r = await onboard("shop", "--repo", repo, "--runtime", "nodejs", "--env", "staging");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      [
        'pitstop: cannot onboard "shop": 2 problems; nothing was written',
        '  runtime: --runtime "nodejs" is not one of node, python, static: did you mean `node`?',
        '  env: --env "staging" is not one of dev, stage, prod: did you mean `stage`?',
        "",
      ].join("\n"),
    );
    await expectNothingWritten();
  });

  it("a missing required option is a usage error", async () => {
    const r = await onboard("shop", "--runtime", "node", "--env", "stage");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--repo <url>");
  });
});
