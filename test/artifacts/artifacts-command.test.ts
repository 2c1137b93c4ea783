import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { PassThrough } from "node:stream";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/app/create-app.js";
import { registerArtifactsCommand } from "../../src/cli/commands/artifacts.js";
import type { CliIO } from "../../src/cli/io.js";
import { loadConfig } from "../../src/config/config.js";
import { ErrorCode, isPitstopError } from "../../src/core/errors.js";
import type { BuildData } from "../../src/agents/build/build-report.js";
import { jobContext, planJob } from "../agents/helpers/job-context.js";
import { buildSetup, NODE_PROJECT, tempDirs, writeFiles } from "../agents/build/build-fixtures.js";

const dirs = tempDirs();
const sha = (s: string): string => createHash("sha256").update(s).digest("hex");
const APP_JS = "console.log('hello from the build');\n";

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** The command on a fresh commander program, as main.ts wires it, with captured output. */
async function cli(args: string[], cwd: string, dataDir: string): Promise<Ran> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  stderr.on("data", (d: Buffer) => (err += d.toString()));
  const io: CliIO = { stdout, stderr, stdin: new PassThrough(), env: { PITSTOP_DATA_DIR: dataDir }, cwd, isTTY: false };
  let code = 0;
  const program = new Command().exitOverride().configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) });
  program.option("--data-dir <dir>");
  registerArtifactsCommand(program, { io, setExit: (c) => (code = c), globals: () => program.opts<{ dataDir?: string }>() });
  await program.parseAsync(["node", "pitstop", ...args]);
  return { code, stdout: out, stderr: err };
}

let ws: string;
let dataDir: string;
let cwd: string;
let runNumber: number;
let runId: string;
let digest: string;

beforeEach(async () => {
  ws = await writeFiles(await dirs.make("pitstop-cli-ws-"), NODE_PROJECT);
  dataDir = await dirs.make("pitstop-cli-data-");
  cwd = await dirs.make("pitstop-cli-cwd-");
  const store = await openStore(loadConfig({ cwd, env: {}, flags: { dataDir } }));
  try {
    const plan = { version: 1 as const, pipelineFile: "pipeline.yml", form: "short" as const, env: {}, jobs: [planJob("build")] };
    const common = { status: "queued" as const, pipelineFile: "pipeline.yml", workspace: ws, plan, trigger: { source: "cli" as const, by: null }, branch: null, commit: null, env: {}, ownerId: null };
    await store.runs.createRun({ ...common, id: "run-empty-0001", createdAt: 1 }, [{ jobId: "build", name: "build", kind: "build" }], 1);
    const run = await store.runs.createRun({ ...common, id: "run-built-0002", createdAt: 2 }, [{ jobId: "build", name: "build", kind: "build" }], 2);
    runNumber = run.number;
    runId = run.id;
  } finally {
    await store.close();
  }
  // The real chain: the build handler stores the artifacts the command then lists and fetches.
  const { handler } = buildSetup(dataDir, { DOCKER_HOST: "unix:///nonexistent/docker.sock" });
  const out = await handler({ ...jobContext({ workspace: ws, job: planJob("build") }), runId });
  expect(out.ok).toBe(true);
  digest = (out.stage!.data as unknown as BuildData).artifacts!.digest;
});
afterEach(() => dirs.removeAll());

describe("pitstop artifacts <run>", () => {
  it("lists the run's manifests and files", async () => {
    const r = await cli(["artifacts", `#${runNumber}`], cwd, dataDir);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toContain(`build: 2 files (41 B), attempt 1, `);
    expect(r.stdout).toContain(`digest ${digest}`);
    expect(r.stdout).toMatch(/JOB\s+PATH\s+SIZE\s+SHA256/);
    expect(r.stdout).toMatch(new RegExp(`build\\s+dist/app\\.js\\s+37 B\\s+${sha(APP_JS)}`));
    expect(r.stdout).toMatch(new RegExp(`build\\s+dist/assets/logo\\.txt\\s+4 B\\s+${sha("LOGO")}`));
  });

  it("prints the manifests as JSON with --json, and says when a run has none", async () => {
    const r = await cli(["artifacts", "run-built", "--json"], cwd, dataDir);
    const json = JSON.parse(r.stdout) as { run: { id: string; number: number }; manifests: Array<{ jobId: string; digest: string; files: Array<{ path: string; sha256: string; size: number; mode: number }> }> };
    expect(json.run).toEqual({ id: runId, number: runNumber });
    expect(json.manifests).toHaveLength(1);
    expect(json.manifests[0]).toMatchObject({ jobId: "build", digest, files: [{ path: "dist/app.js", sha256: sha(APP_JS), size: 37 }, { path: "dist/assets/logo.txt", sha256: sha("LOGO"), size: 4 }] });
    const empty = await cli(["artifacts", "run-empty"], cwd, dataDir);
    expect(empty).toMatchObject({ code: 0, stdout: "run #1 has no artifacts: a build stage stores them (see docs/stages/build.md)\n" });
  });

  it("fetches a job's artifacts, or one file, into --out", async () => {
    const r = await cli(["artifacts", String(runNumber), "--get", "build", "--out", "restored/here"], cwd, dataDir);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toContain(`fetched 2 files (41 B) of run #${runNumber} into ${path.join(cwd, "restored/here")}, sha256 verified:`);
    expect(r.stdout).toContain("restored/here/dist/app.js  37 B");
    expect(await readFile(path.join(cwd, "restored/here/dist/app.js"), "utf8")).toBe(APP_JS);
    expect(await readFile(path.join(cwd, "restored/here/dist/assets/logo.txt"), "utf8")).toBe("LOGO");
    const one = await cli(["artifacts", String(runNumber), "--get", "dist/assets/logo.txt", "--out", "one", "--json"], cwd, dataDir);
    expect(JSON.parse(one.stdout)).toEqual({ files: [{ jobId: "build", path: "dist/assets/logo.txt", dest: path.join(cwd, "one/dist/assets/logo.txt"), sha256: sha("LOGO"), size: 4 }] });
    expect(await readdir(path.join(cwd, "one"))).toEqual(["dist"]);
  });

  it("exits 2 with a clear message for an unknown name, an escaping name and an unwritable --out", async () => {
    const unknown = await cli(["artifacts", String(runNumber), "--get", "nope.js", "--out", "o"], cwd, dataDir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(`pitstop: run #${runNumber}: no artifact named "nope.js" in run ${runId}: not a job with artifacts (build) nor a stored path; \`pitstop artifacts <run>\` lists them\n`);
    const escape = await cli(["artifacts", String(runNumber), "--get", "../../etc/passwd", "--out", "o"], cwd, dataDir);
    expect(escape.code).toBe(2);
    expect(escape.stderr).toContain('artifact name "../../etc/passwd" contains `..`');
    await writeFile(path.join(cwd, "a-file"), "x");
    const unwritable = await cli(["artifacts", String(runNumber), "--get", "build", "--out", "a-file/out"], cwd, dataDir);
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toMatch(/cannot write to the output directory .*a-file\/out \(ENOTDIR\): choose a writable directory with --out/);
    expect((await readdir(cwd)).sort()).toEqual(["a-file"]);
  });

  it("exits 3 and names the file when stored content is damaged", async () => {
    const blob = path.join(dataDir, "artifacts", "sha256", sha(APP_JS).slice(0, 2), sha(APP_JS));
    await writeFile(blob, APP_JS.replace("hello", "HACKED"));
    const r = await cli(["artifacts", String(runNumber), "--get", "build", "--out", "o"], cwd, dataDir);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/artifact store is damaged: dist\/app\.js \(job build\) should have sha256 [0-9a-f]{64}/);
    expect(await readdir(path.join(cwd, "o/dist")).catch(() => [])).not.toContain("app.js");
  });

  it("refuses an unknown run and --out without --get as bad input", async () => {
    const e = await cli(["artifacts", "#99"], cwd, dataDir).catch((err: unknown) => err);
    expect(isPitstopError(e, ErrorCode.RUN_NOT_FOUND)).toBe(true);
    const usage = await cli(["artifacts", String(runNumber), "--out", "x"], cwd, dataDir).catch((err: unknown) => err);
    expect(isPitstopError(usage, ErrorCode.USAGE)).toBe(true);
  });
});
