import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLintHandler } from "../../../src/agents/lint/create-lint-handler.js";
import type { LintFinding } from "../../../src/agents/lint/lint-finding.js";
import type { JobOutcome } from "../../../src/agents/run-job.js";
import { readSarifFindings } from "../../../src/agents/sarif/read-sarif.js";
import { buildSarif } from "../../../src/agents/sarif/write-sarif.js";
import { silentLogger } from "../../../src/core/logger.js";
import type { PlanJob } from "../../../src/core/pipeline/plan.js";
import { jobContext, planJob, type TestJobContext } from "../helpers/job-context.js";
import { BARE_PATH, ESLINT_CONFIG, fixtureProject, TOOLS_PATH, TSCONFIG } from "./fixture-project.js";

const handler = createLintHandler({ dataDir: "/nonexistent", log: silentLogger, now: Date.now, agentEnv: {} });
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function project(files: Record<string, string>): Promise<string> {
  const p = await fixtureProject(files);
  cleanups.push(p.cleanup);
  return p.dir;
}

interface LintData {
  findings: LintFinding[];
  total: number;
  truncated: boolean;
  counts: { error: number; warning: number; note: number };
  tools: string[];
  sarif: string | null;
  failures?: string[];
}

interface LintCall {
  path?: string;
  job?: Partial<PlanJob>;
  signal?: AbortSignal;
  mask?: (s: string) => string;
}

async function lint(workspace: string, withOpts: Record<string, unknown> = {}, opts: LintCall = {}): Promise<{ out: JobOutcome; ctx: TestJobContext; data: LintData }> {
  const ctx = jobContext({ workspace, job: planJob("lint", { with: withOpts, ...opts.job }), env: { PATH: opts.path ?? TOOLS_PATH }, signal: opts.signal, mask: opts.mask });
  const out = await handler(ctx);
  await ctx.logs.flush();
  return { out, ctx, data: (out.stage?.data ?? {}) as unknown as LintData };
}

const BAD_JS = "export function f() {\n  const unused = 1;\n  return 2;\n}\n";
const WARN_JS = "var a = 1;\nlet b = 2;\nexport { a, b };\n";

describe("lint stage: ESLint found from the project", () => {
  it("passes a clean project and writes an empty SARIF run", async () => {
    const dir = await project({ "eslint.config.mjs": ESLINT_CONFIG, "src/ok.js": "export const x = 1;\n" });
    const { out, data } = await lint(dir);
    expect(out.setupError).toBeNull();
    expect(out.ok).toBe(true);
    expect(out.stage?.summary).toBe("0 errors, 0 warnings (eslint)");
    expect(data).toMatchObject({ findings: [], total: 0, counts: { error: 0, warning: 0, note: 0 }, tools: ["eslint"], sarif: ".pitstop/reports/lint.sarif" });
    const sarif = JSON.parse(await readFile(path.join(dir, data.sarif ?? "missing"), "utf8"));
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs).toHaveLength(1);
    expect(sarif.runs[0].results).toEqual([]);
  });

  it("does not lint pitstop's own files in the workspace (.pitstop: deployed release copies, reports)", async () => {
    const dir = await project({ "eslint.config.mjs": ESLINT_CONFIG, "src/ok.js": "export const x = 1;\n", ".pitstop/deploy/dev/releases/1-1/src/bad.js": BAD_JS });
    const { out, data } = await lint(dir);
    expect(out.ok).toBe(true);
    expect(data.total).toBe(0);
  });

  it("fails on a lint error with the finding (file, line, rule) in stage data, the log and SARIF", async () => {
    const dir = await project({ "eslint.config.mjs": ESLINT_CONFIG, "src/bad.js": BAD_JS, "src/ok.js": "export const x = 1;\n" });
    const { out, ctx, data } = await lint(dir);
    expect(out.ok).toBe(false);
    expect(out.hint).toBe("lint");
    expect(out.setupError).toBeNull();
    expect(out.last?.exitCode).toBe(1);
    expect(out.stage?.summary).toBe("1 error, 0 warnings (eslint)");
    expect(data.findings).toEqual([{ tool: "eslint", file: "src/bad.js", line: 2, column: 9, rule: "no-unused-vars", severity: "error", message: "'unused' is assigned a value but never used." }]);
    expect(ctx.lines).toContain("system: src/bad.js:2:9 error no-unused-vars: 'unused' is assigned a value but never used. (eslint)");
    expect(ctx.lines.at(-1)).toBe("system: lint: 1 error, 0 warnings (eslint)");
    const read = readSarifFindings(await readFile(path.join(dir, ".pitstop/reports/lint.sarif"), "utf8"));
    expect(read.findings.map((f) => [f.tool, f.file, f.line, f.column, f.rule, f.severity])).toEqual([["eslint", "src/bad.js", 2, 9, "no-unused-vars", "error"]]);
    // The raw eslint report is an implementation detail: nothing but the SARIF file is left.
    expect(await readdir(path.join(dir, ".pitstop/reports"))).toEqual(["lint.sarif"]);
  });

  it("masks secrets in the findings it logs (read from eslint's report file, not the executor)", async () => {
    const dir = await project({ "eslint.config.mjs": ESLINT_CONFIG, "src/bad.js": BAD_JS });
    const { ctx } = await lint(dir, {}, { mask: (s) => s.replaceAll("never used", "***") });
    expect(ctx.lines).toContain("system: src/bad.js:2:9 error no-unused-vars: 'unused' is assigned a value but ***. (eslint)");
    expect(ctx.lines.some((l) => l.includes("never used"))).toBe(false);
  });

  it("passes with warnings only, and fails when they exceed max_warnings", async () => {
    const dir = await project({ "eslint.config.mjs": ESLINT_CONFIG, "src/warn.js": WARN_JS });
    const loose = await lint(dir);
    expect(loose.out.ok).toBe(true);
    expect(loose.out.stage?.summary).toBe("0 errors, 2 warnings (eslint)");
    expect(loose.data.findings.map((f) => f.rule)).toEqual(["no-var", "prefer-const"]);

    const enough = await lint(dir, { max_warnings: 2 });
    expect(enough.out.ok).toBe(true);

    const strict = await lint(dir, { max_warnings: 0 });
    expect(strict.out.ok).toBe(false);
    expect(strict.out.hint).toBe("lint");
    expect(strict.out.stage?.summary).toBe("0 errors, 2 warnings (eslint): more than max_warnings 0");
  });

  it("reports paths relative to the workspace when the job has a working directory", async () => {
    const dir = await project({ "app/eslint.config.mjs": ESLINT_CONFIG, "app/src/bad.js": BAD_JS });
    const { out, data } = await lint(dir, { sarif: "out/lint.sarif" }, { job: { workingDirectory: "app" } });
    expect(out.ok).toBe(false);
    expect(data.findings[0]).toMatchObject({ file: "app/src/bad.js", line: 2 });
    expect(data.sarif).toBe("out/lint.sarif");
    expect(existsSync(path.join(dir, "out/lint.sarif"))).toBe(true);
  });

  it("keeps at most 1000 findings in stage data and all of them in SARIF", async () => {
    const body = Array.from({ length: 1100 }, (_, i) => `  const v${i} = ${i};`).join("\n");
    const dir = await project({ "eslint.config.mjs": ESLINT_CONFIG, "src/many.js": `export function f() {\n${body}\n}\n` });
    const { out, data } = await lint(dir);
    expect(out.ok).toBe(false);
    expect(out.stage?.summary).toBe("1100 errors, 0 warnings (eslint)");
    expect(data.total).toBe(1100);
    expect(data.truncated).toBe(true);
    expect(data.findings).toHaveLength(1000);
    const read = readSarifFindings(await readFile(path.join(dir, data.sarif ?? "missing"), "utf8"));
    expect(read.findings).toHaveLength(1100);
  });

  it("fails with eslint's own message when its config is broken, not with '0 findings'", async () => {
    const broken = ESLINT_CONFIG.replace('"no-unused-vars": "error"', '"no-unused-vars": "errror"');
    const dir = await project({ "eslint.config.mjs": broken, "src/ok.js": "export const x = 1;\n" });
    const { out } = await lint(dir);
    expect(out.ok).toBe(false);
    expect(out.last?.exitCode).toBe(2);
    expect(out.setupError).toMatch(/^eslint failed \(exit 2\): .*no-unused-vars.*errror/);
    expect(out.stage?.summary).toBe(out.setupError);
    expect(out.hint).toBeUndefined();
  });

  it("reads a legacy .eslintrc.json project (ESLINT_USE_FLAT_CONFIG=false)", async () => {
    const dir = await project({
      ".eslintrc.json": JSON.stringify({ root: true, parserOptions: { ecmaVersion: 2022, sourceType: "module" }, rules: { "no-unused-vars": "error" } }),
      "src/bad.js": BAD_JS,
    });
    const { out, data } = await lint(dir);
    expect(out.stage?.summary).toBe("1 error, 0 warnings (eslint)");
    expect(data.findings[0]).toMatchObject({ file: "src/bad.js", rule: "no-unused-vars" });
  });
});

describe("lint stage: TypeScript and merging", () => {
  it("finds a type error with tsc and merges it with eslint's findings", async () => {
    const dir = await project({
      "eslint.config.mjs": ESLINT_CONFIG,
      "tsconfig.json": TSCONFIG,
      "src/warn.js": WARN_JS,
      "src/a.ts": 'export const n: number = "five";\n',
    });
    const { out, data } = await lint(dir);
    expect(out.ok).toBe(false);
    expect(out.hint).toBe("lint");
    expect(out.stage?.summary).toBe("1 error, 2 warnings (eslint, tsc)");
    expect(data.tools).toEqual(["eslint", "tsc"]);
    expect(data.findings[0]).toEqual({ tool: "tsc", file: "src/a.ts", line: 1, column: 14, rule: "TS2322", severity: "error", message: "Type 'string' is not assignable to type 'number'." });
    const sarif = JSON.parse(await readFile(path.join(dir, data.sarif ?? "missing"), "utf8"));
    expect(sarif.runs.map((r: { tool: { driver: { name: string } } }) => r.tool.driver.name)).toEqual(["eslint", "tsc"]);
  });

  it("passes a type-correct TypeScript project", async () => {
    const dir = await project({ "tsconfig.json": TSCONFIG, "src/a.ts": "export const n: number = 5;\n" });
    const { out } = await lint(dir);
    expect(out.ok).toBe(true);
    expect(out.stage?.summary).toBe("0 errors, 0 warnings (tsc)");
  });
});

describe("lint stage: missing tools", () => {
  it("fails with a clear message and class command_not_found when eslint is not installed", async () => {
    const dir = await project({ "eslint.config.mjs": ESLINT_CONFIG, "src/ok.js": "export const x = 1;\n" });
    const { out, ctx, data } = await lint(dir, {}, { path: BARE_PATH });
    expect(out.ok).toBe(false);
    expect(out.setupError).toBe("eslint not found: add it to devDependencies or set lint.command");
    expect(out.hint).toBe("command_not_found");
    expect(out.stage?.summary).toBe(out.setupError);
    expect(data).toMatchObject({ findings: [], total: 0, tools: ["eslint"], sarif: null, failures: [out.setupError] });
    expect(ctx.lines.some((l) => l.includes("▶"))).toBe(false);
  });

  it("names typescript when tsc is missing, and ruff when a project configures it without installing it", async () => {
    const ts = await project({ "tsconfig.json": TSCONFIG, "src/a.ts": "export const n = 5;\n" });
    expect((await lint(ts, {}, { path: BARE_PATH })).out.setupError).toBe("tsc not found: add typescript to devDependencies or set lint.command");
    const py = await project({ "pyproject.toml": '[project]\nname = "x"\n\n[tool.ruff]\nline-length = 100\n', "app.py": "import os\n" });
    const { out } = await lint(py, {}, { path: BARE_PATH });
    expect(out.setupError).toMatch(/^ruff not found: .*install it \(pip install ruff\) or set lint\.command$/);
    expect(out.hint).toBe("command_not_found");
  });

  it("classes a with.command whose program does not exist as command_not_found", async () => {
    const dir = await project({ "src/ok.js": "export const x = 1;\n" });
    const { out } = await lint(dir, { command: "no-such-linter-xyz --check ." });
    expect(out.ok).toBe(false);
    expect(out.last?.exitCode).toBe(127);
    expect(out.setupError).toBe("no-such-linter-xyz not found: install it (add it to devDependencies) or fix lint.command");
    expect(out.hint).toBe("command_not_found");
    const compound = await lint(dir, { command: "echo preparing && missing-linter-abc src" });
    expect(compound.out.setupError).toBe("missing-linter-abc not found: install it (add it to devDependencies) or fix lint.command");
  });

  it("fails, saying what to add, when the project has no linter at all", async () => {
    const dir = await project({ "README.md": "# nothing to lint\n" });
    const { out } = await lint(dir);
    expect(out.ok).toBe(false);
    expect(out.setupError).toMatch(/^no linter found in the workspace: add an ESLint config .* or set lint\.command$/);
  });
});

describe("lint stage: with.command", () => {
  it("parses eslint JSON from the command's stdout", async () => {
    const dir = await project({ "eslint.config.mjs": ESLINT_CONFIG, "src/bad.js": BAD_JS, "src/warn.js": WARN_JS });
    const { out, ctx, data } = await lint(dir, { command: "eslint --format json .", format: "eslint-json" });
    expect(out.ok).toBe(false);
    expect(out.hint).toBe("lint");
    expect(out.stage?.summary).toBe("1 error, 2 warnings (eslint)");
    expect(data.findings[0]).toMatchObject({ file: "src/bad.js", line: 2, column: 9, rule: "no-unused-vars" });
    // Machine output stays out of the log; the findings are listed instead.
    expect(ctx.lines.some((l) => l.startsWith("stdout: [{"))).toBe(false);
  });

  it("reads SARIF from another tool, keeping its tool names", async () => {
    const sarif = buildSarif([{ tool: "semgrep", findings: [{ file: "src/a.js", line: 4, column: 2, rule: "js.eval", severity: "warning", message: "eval is dangerous" }] }]);
    const dir = await project({ "findings.sarif": JSON.stringify(sarif) });
    const { out, data } = await lint(dir, { command: "cat findings.sarif", format: "sarif" });
    expect(out.ok).toBe(true);
    expect(out.stage?.summary).toBe("0 errors, 1 warning (semgrep)");
    expect(data.tools).toEqual(["semgrep"]);
    expect(data.findings).toEqual([{ tool: "semgrep", file: "src/a.js", line: 4, column: 2, rule: "js.eval", severity: "warning", message: "eval is dangerous" }]);
  });

  it("fails with the problem when the command prints malformed SARIF", async () => {
    const dir = await project({});
    const bad = await lint(dir, { command: `echo '{"version":"2.1.0","runs":[{"tool":{}}]}'`, format: "sarif" });
    expect(bad.out.ok).toBe(false);
    expect(bad.out.setupError).toMatch(/^SARIF input is not a SARIF log: runs\[0\]\.tool\.driver/);
    const notJson = await lint(dir, { command: "echo '{oops'", format: "sarif" });
    expect(notJson.out.setupError).toMatch(/^SARIF input is not valid JSON/);
  });

  it("lets the exit code decide when no format is given", async () => {
    const dir = await project({});
    const pass = await lint(dir, { command: "echo all good" });
    expect(pass.out.ok).toBe(true);
    expect(pass.out.stage?.summary).toBe("lint command passed; findings not recorded: set with.format to read them");
    expect(pass.ctx.lines).toContain("stdout: all good");
    const fail = await lint(dir, { command: "echo 'x.js: bad' >&2; exit 3" });
    expect(fail.out.ok).toBe(false);
    expect(fail.out.last?.exitCode).toBe(3);
    expect(fail.out.stage?.summary).toMatch(/^lint command failed \(exit 3\)/);
  });

  it("runs a full-form lint job's steps as the lint command when it has no with.command", async () => {
    const dir = await project({});
    const step = (name: string, run: string) => ({ name, run, env: {}, workingDirectory: null });
    const pass = await lint(dir, {}, { job: { steps: [step("prepare", "echo prepared"), step("lint", "echo linted")] } });
    expect(pass.out.ok).toBe(true);
    expect(pass.out.stage?.summary).toBe("lint steps passed; findings not recorded: set with.command and with.format to read them");
    expect(pass.ctx.lines).toEqual(expect.arrayContaining(["stdout: prepared", "stdout: linted"]));
    const fail = await lint(dir, {}, { job: { steps: [step("lint", "exit 4"), step("never", "echo never")] } });
    expect(fail.out.ok).toBe(false);
    expect(fail.out.last?.exitCode).toBe(4);
    expect(fail.ctx.lines).not.toContain("stdout: never");
  });

  it("reports a tool that exits non-zero without findings as broken", async () => {
    const dir = await project({});
    const { out } = await lint(dir, { command: "echo 'tsc: internal error: stack overflow' >&2; exit 1", format: "tsc" });
    expect(out.ok).toBe(false);
    expect(out.setupError).toBe("tsc failed (exit 1) and reported no findings: tsc: internal error: stack overflow");
  });

  it("stops when the job is cancelled", async () => {
    const dir = await project({});
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const { out } = await lint(dir, { command: "sleep 30" }, { signal: ac.signal });
    expect(out.ok).toBe(false);
    expect(out.stage?.summary).toBe("cancelled");
    expect(out.last?.cancelled).toBe(true);
  });
});

describe("lint stage: bad options", () => {
  it.each([
    [{ max_warning: 0 }, "with.max_warning: unknown option: did you mean with.max_warnings?"],
    [{ max_warnings: -1 }, /^with\.max_warnings: .*whole number/],
    [{ max_warnings: "5" }, /^with\.max_warnings: /],
    [{ command: "x", format: "xml" }, 'with.format: "xml" is not a format the lint stage reads: use one of eslint-json, tsc, ruff-json, pylint-json, sarif'],
    [{ foo: 1 }, "with.foo: unknown option: lint knows with.command, with.format, with.max_warnings, with.sarif"],
    [{ format: "tsc" }, /^with\.format: only applies to with\.command/],
    [{ command: "" }, /^with\.command: must not be empty/],
    [{ sarif: "../outside.sarif" }, /^with\.sarif: "\.\.\/outside\.sarif" is not a file inside the workspace/],
  ])("%j is refused with a message naming the field", async (opts, message) => {
    const dir = await project({ "eslint.config.mjs": ESLINT_CONFIG });
    const { out, ctx } = await lint(dir, opts);
    expect(out.ok).toBe(false);
    if (typeof message === "string") expect(out.setupError).toBe(message);
    else expect(out.setupError).toMatch(message);
    expect(ctx.lines.some((l) => l.includes("▶"))).toBe(false);
  });

  it("accepts the options the short form adds to every job", async () => {
    const dir = await project({ "eslint.config.mjs": ESLINT_CONFIG, "src/ok.js": "export const x = 1;\n" });
    const { out } = await lint(dir, { notify_on_success: true, deploy_environment: "dev" });
    expect(out.ok).toBe(true);
  });
});

describe("lint stage: SARIF file", () => {
  it("refuses a SARIF path whose directory cannot be created before running anything", async () => {
    const dir = await project({ "eslint.config.mjs": ESLINT_CONFIG, "src/ok.js": "export const x = 1;\n", blocker: "a file, not a directory\n" });
    const { out, ctx } = await lint(dir, { sarif: "blocker/lint.sarif" });
    expect(out.ok).toBe(false);
    expect(out.setupError).toMatch(/^with\.sarif: cannot create the directory of "blocker\/lint\.sarif": .*EEXIST.*: choose another path$/);
    expect(ctx.lines.some((l) => l.includes("▶"))).toBe(false);
  });

  it("records a SARIF file that cannot be written as a problem without hiding the verdict", async () => {
    const dir = await project({ "eslint.config.mjs": ESLINT_CONFIG, "src/bad.js": BAD_JS, "reports/lint.sarif/keep": "a directory where the file should go\n" });
    const { out, data } = await lint(dir, { sarif: "reports/lint.sarif" });
    expect(out.ok).toBe(false);
    expect(out.stage?.summary).toBe("1 error, 0 warnings (eslint)");
    expect(data.findings).toHaveLength(1);
    expect(out.problems?.[0]).toMatch(/^with\.sarif: could not write reports\/lint\.sarif: /);
    expect(data.sarif).toBeNull();
    expect(await readdir(path.join(dir, "reports"))).toEqual(["lint.sarif"]);
  });

  it("does not leave files behind in a fresh temp workspace beyond .pitstop/reports", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "pitstop-lint-ws-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const { out } = await lint(dir, { command: "true" });
    expect(out.ok).toBe(true);
    expect(await readdir(dir)).toEqual([".pitstop"]);
  });
});
