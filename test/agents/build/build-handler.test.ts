import { createHash } from "node:crypto";
import { readdir, readFile, symlink } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { manifestDigest } from "../../../src/artifacts/manifest.js";
import type { BuildData } from "../../../src/agents/build/build-report.js";
import { jobContext, planJob } from "../helpers/job-context.js";
import { buildSetup, FAKE_DOCKER, NODE_PROJECT, tempDirs, writeFiles } from "./build-fixtures.js";

const dirs = tempDirs();
afterEach(() => dirs.removeAll());

const sha = (s: string | Buffer): string => createHash("sha256").update(s).digest("hex");
const dataOf = (o: { stage?: { data: Record<string, unknown> } }): BuildData => o.stage!.data as unknown as BuildData;

async function setup(files: Record<string, string>, agentEnv: Record<string, string> = {}) {
  const ws = await writeFiles(await dirs.make("pitstop-build-ws-"), files);
  const s = buildSetup(await dirs.make("pitstop-build-data-"), agentEnv);
  return { ws, ...s };
}

describe("build handler: build and artifacts", () => {
  it("runs package.json's build script and stores dist/ with its digests", async () => {
    const { ws, handler, store, dataDir } = await setup(NODE_PROJECT);
    const ctx = jobContext({ workspace: ws, job: planJob("build") });
    const out = await handler(ctx);
    await ctx.logs.flush();
    expect(out.setupError).toBeNull();
    expect(out.ok).toBe(true);
    const data = dataOf(out);
    expect(data.command).toBe("npm run build");
    expect(data.source).toBe("package.json");
    const appJs = "console.log('hello from the build');\n";
    expect(data.artifacts).toMatchObject({
      files: 2,
      bytes: appJs.length + 4,
      globs: ["dist/**"],
      omitted: 0,
      items: [
        { path: "dist/app.js", sha256: sha(appJs), size: appJs.length },
        { path: "dist/assets/logo.txt", sha256: sha("LOGO"), size: 4 },
      ],
    });
    const manifest = await store.getManifest("run-test", "build");
    expect(manifest?.digest).toBe(data.artifacts!.digest);
    expect(manifest?.digest).toBe(manifestDigest(manifest!.files));
    expect(await readFile(path.join(dataDir, "artifacts", "sha256", sha("LOGO").slice(0, 2), sha("LOGO")), "utf8")).toBe("LOGO");
    expect(out.stage!.summary).toMatch(/^built; 2 artifacts \(\d+ B\), digest sha256:[0-9a-f]{12}…$/);
    expect(out.stage!.summary).toContain(data.artifacts!.digest.slice(0, 19));
    expect(ctx.lines).toContain("system: ▶ build (package.json): npm run build");
    expect(ctx.lines).toContain("stdout: built dist/");
    expect(ctx.lines.some((l) => l.startsWith("system: artifacts: 2 files") && l.includes(data.artifacts!.digest))).toBe(true);
    expect(data.image).toBeUndefined();
  });

  it("runs make for a Makefile project and packs the globs of with.artifacts", async () => {
    const { ws, handler, store } = await setup({ Makefile: "all:\n\tmkdir -p out && printf 'bin' > out/tool.bin && printf 'x' > out/notes.txt\n" });
    const out = await handler(jobContext({ workspace: ws, job: planJob("build", { with: { artifacts: "out/*.bin" } }) }));
    expect(out.ok).toBe(true);
    expect(dataOf(out)).toMatchObject({ command: "make", source: "Makefile", artifacts: { files: 1, items: [{ path: "out/tool.bin", sha256: sha("bin") }] } });
    expect((await store.getManifest("run-test", "build"))?.files.map((f) => f.path)).toEqual(["out/tool.bin"]);
  });

  it("prefers with.command, merges the job's artifacts with with.artifacts and keeps dot files", async () => {
    const { ws, handler, store } = await setup({ ...NODE_PROJECT, "gen.sh*": "#!/bin/sh\nmkdir -p pkg && echo a > pkg/.env.example && echo b > pkg/b.txt\n" });
    const job = planJob("build", { artifacts: ["pkg/.env.example"], with: { command: "./gen.sh", artifacts: ["pkg/*.txt"] } });
    const out = await handler(jobContext({ workspace: ws, job }));
    expect(out.ok).toBe(true);
    expect(dataOf(out).command).toBe("./gen.sh");
    expect((await store.getManifest("run-test", "build"))?.files.map((f) => f.path)).toEqual(["pkg/.env.example", "pkg/b.txt"]);
  });

  it("runs the job's steps in the full form, in its working directory", async () => {
    const { ws, handler, store } = await setup({ "app/readme.md": "r" });
    const job = planJob("build", {
      workingDirectory: "app",
      steps: [{ name: "compile", run: "mkdir -p dist && echo ok > dist/out.txt", env: {}, workingDirectory: null }],
    });
    const out = await handler(jobContext({ workspace: ws, job }));
    expect(out.ok).toBe(true);
    expect(dataOf(out)).toMatchObject({ source: "steps", artifacts: { globs: ["app/dist/**"], files: 1 } });
    expect((await store.getManifest("run-test", "build"))?.files[0]?.path).toBe("app/dist/out.txt");
  });

  it("reports no artifacts when none are declared and there is no dist/, and warns about a glob that matched nothing", async () => {
    const { ws, handler, store } = await setup({ Makefile: "all:\n\t@echo nothing to write\n" });
    const out = await handler(jobContext({ workspace: ws, job: planJob("build") }));
    expect(out.ok).toBe(true);
    expect(dataOf(out).artifacts).toBeNull();
    expect(out.stage!.summary).toBe("built; no artifacts declared");
    expect(await store.listManifests("run-test")).toEqual([]);
    const declared = await handler(jobContext({ workspace: ws, job: planJob("build", { with: { artifacts: ["missing/**"] } }) }));
    expect(declared.ok).toBe(true);
    expect(declared.problems).toEqual(["artifacts: no file matched `missing/**`"]);
    expect(dataOf(declared).artifacts).toMatchObject({ files: 0, bytes: 0 });
  });

  it("never packs pitstop's own data directory when it lives in the workspace", async () => {
    const ws = await writeFiles(await dirs.make("pitstop-build-ws-"), { Makefile: "all:\n\t@echo hi > out.txt\n" });
    const { handler, store } = buildSetup(path.join(ws, ".pitstop"));
    await writeFiles(ws, { ".pitstop/pitstop.db": "db" });
    const out = await handler(jobContext({ workspace: ws, job: planJob("build", { with: { artifacts: "**" } }) }));
    expect(out.ok).toBe(true);
    expect((await store.getManifest("run-test", "build"))?.files.map((f) => f.path)).toEqual(["Makefile", "out.txt"]);
  });
});

describe("build handler: bad input and failures", () => {
  it("says there is nothing to build for a project without a build", async () => {
    const { ws, handler } = await setup({ "package.json": JSON.stringify({ name: "x", scripts: { test: "true" } }) });
    const out = await handler(jobContext({ workspace: ws, job: planJob("build") }));
    expect(out.ok).toBe(false);
    expect(out.setupError).toMatch(/^nothing to build in .*: package\.json has no scripts\.build and there is no Makefile: add a build script or set build\.command/);
  });

  it("names the field of a bad option and suggests the one meant", async () => {
    const { ws, handler } = await setup(NODE_PROJECT);
    const run = (w: Record<string, unknown>) => handler(jobContext({ workspace: ws, job: planJob("build", { with: w }) }));
    expect((await run({ comand: "make" })).setupError).toBe("with.comand: unknown option: did you mean with.command?");
    expect((await run({ docker: "sometimes" })).setupError).toMatch(/^with\.docker: .*use auto .*required .*off/);
    expect((await run({ artifacts: 3 })).setupError).toMatch(/^with\.artifacts: .*glob/);
    expect((await run({ image: "App:latest" })).setupError).toMatch(/^with\.image: "App:latest" is not a Docker image name/);
    expect((await run({ image: "app:latest" })).setupError).toMatch(/^with\.image: "app:latest" has a tag/);
    expect((await run({ notify_on_success: true, deploy_environment: "dev" })).ok).toBe(true);
  });

  it("refuses a glob that escapes the workspace before building, never copying /etc/passwd", async () => {
    const { ws, handler, store, dataDir } = await setup(NODE_PROJECT);
    for (const glob of ["../../etc/passwd", "/etc/passwd"]) {
      const ctx = jobContext({ workspace: ws, job: planJob("build", { with: { artifacts: [glob] } }) });
      const out = await handler(ctx);
      await ctx.logs.flush();
      expect(out.ok).toBe(false);
      expect(out.setupError).toContain(`\`${glob}\``);
      expect(out.setupError).toMatch(/leaves the workspace|is absolute/);
      expect(ctx.lines.filter((l) => l.includes("▶"))).toEqual([]);
    }
    expect(await store.listManifests("run-test")).toEqual([]);
    expect(await readdir(dataDir)).toEqual([]);
  });

  it("refuses a symlink in the artifacts that points outside the workspace", async () => {
    const { ws, handler, store, dataDir } = await setup(NODE_PROJECT);
    await writeFiles(ws, { "dist/placeholder": "" });
    await symlink("/etc/passwd", path.join(ws, "dist/leak"));
    const out = await handler(jobContext({ workspace: ws, job: planJob("build") }));
    expect(out.ok).toBe(false);
    expect(out.setupError).toMatch(/dist\/leak \(matched by `dist\/\*\*`\) is a symlink that leaves the workspace \(to \/etc\/passwd\): refused/);
    expect(out.stage!.summary).toBe("build ok; artifacts refused");
    expect(await store.listManifests("run-test")).toEqual([]);
    const passwd = sha(await readFile("/etc/passwd"));
    const blobs = await readdir(path.join(dataDir, "artifacts", "sha256", passwd.slice(0, 2))).catch(() => [] as string[]);
    expect(blobs).not.toContain(passwd);
  });

  it("fails with the exit of a failing build and stores nothing", async () => {
    const { ws, handler, store } = await setup({ "package.json": JSON.stringify({ scripts: { build: "echo 'error TS2322: nope' >&2; exit 2" } }) });
    const out = await handler(jobContext({ workspace: ws, job: planJob("build") }));
    expect(out.ok).toBe(false);
    expect(out.last?.exitCode).toBe(2);
    expect(out.stage!.summary).toBe("build failed: `npm run build` (exit 2)");
    expect(await store.listManifests("run-test")).toEqual([]);
  });

  it("classifies a missing build tool as command_not_found", async () => {
    const { ws, handler } = await setup({});
    const out = await handler(jobContext({ workspace: ws, job: planJob("build", { with: { command: "pitstop-no-such-tool --release" } }) }));
    expect(out.ok).toBe(false);
    expect(out.hint).toBe("command_not_found");
    expect(out.stage!.summary).toBe("`pitstop-no-such-tool --release` was not found (exit 127): install it or fix build.command");
  });
});

describe("build handler: Docker", () => {
  const NO_ENGINE = { DOCKER_HOST: "unix:///nonexistent/pitstop-test/docker.sock" };

  it("says no engine answered, keeps the stage green and still stores the artifacts", async () => {
    const { ws, handler } = await setup({ ...NODE_PROJECT, Dockerfile: "FROM node:20-alpine\nCOPY dist /app\n" }, NO_ENGINE);
    const ctx = jobContext({ workspace: ws, job: planJob("build") });
    const out = await handler(ctx);
    await ctx.logs.flush();
    expect(out.ok).toBe(true);
    const image = dataOf(out).image!;
    expect(image.built).toBe(false);
    expect(image.reason).toMatch(/^no Docker engine answered \((docker version failed: .+|docker not found on PATH)\)$/);
    expect(dataOf(out).artifacts?.files).toBe(2);
    expect(out.stage!.summary).toContain("; image not built: no Docker engine answered");
    expect(ctx.lines.some((l) => l.startsWith("system: docker: no Docker engine answered") && l.includes("Dockerfile found but no image built"))).toBe(true);
  });

  it("fails when with.docker is required and no engine answers", async () => {
    const { ws, handler } = await setup({ ...NODE_PROJECT, Dockerfile: "FROM scratch\n" }, NO_ENGINE);
    const out = await handler(jobContext({ workspace: ws, job: planJob("build", { with: { docker: "required" } }) }));
    expect(out.ok).toBe(false);
    expect(out.hint).toBe("infra");
    expect(out.setupError).toMatch(/^with\.docker is required but no Docker engine answered .*: start the Docker engine/);
    const noFile = await setup(NODE_PROJECT);
    const missing = await noFile.handler(jobContext({ workspace: noFile.ws, job: planJob("build", { with: { docker: true } }) }));
    expect(missing.setupError).toMatch(/^with\.docker is required but there is no Dockerfile/);
  });

  it("builds and tags <name>:<run number>-<short commit> when an engine answers", async () => {
    const bin = await writeFiles(await dirs.make("pitstop-build-bin-"), { "docker*": FAKE_DOCKER });
    const { ws, handler } = await setup({ ...NODE_PROJECT, Dockerfile: "FROM scratch\n" });
    const log = path.join(bin, "docker.log");
    const env = { PATH: `${bin}:${process.env.PATH}`, DOCKER_LOG: log };
    const run = { id: "run-test", number: 7, pipelineFile: "p.yml", branch: "main", commit: "abc1234def5678", startedAt: 1, jobs: [] };
    const ctx = jobContext({ workspace: ws, job: planJob("build"), env, context: { run } });
    const out = await handler(ctx);
    await ctx.logs.flush();
    expect(out.ok).toBe(true);
    expect(dataOf(out).image).toEqual({ built: true, name: "acme/fixture-app", tag: "7-abc1234", ref: "acme/fixture-app:7-abc1234", id: "sha256:0123456789abcdef", engine: "27.1.0", dockerfile: "Dockerfile" });
    expect(await readFile(log, "utf8")).toBe("build build -t acme/fixture-app:7-abc1234 -f Dockerfile --label pitstop.run=run-test --label pitstop.job=build .\n");
    expect(out.stage!.summary).toMatch(/; image acme\/fixture-app:7-abc1234$/);
    expect(ctx.lines).toContain("stdout: #2 DONE");
    await writeFiles(ws, { Dockerfile: "FAIL\n" });
    const failed = await handler(jobContext({ workspace: ws, job: planJob("build", { with: { image: "registry.local:5000/team/web" } }), env, context: { run } }));
    expect(failed.ok).toBe(false);
    expect(dataOf(failed).image).toMatchObject({ built: false, ref: "registry.local:5000/team/web:7-abc1234", reason: "docker build of registry.local:5000/team/web:7-abc1234 failed (exit 1)" });
    expect(dataOf(failed).artifacts?.files).toBe(2);
  });

  it("skips Docker entirely with docker: off", async () => {
    const { ws, handler } = await setup({ ...NODE_PROJECT, Dockerfile: "FROM scratch\n" }, NO_ENGINE);
    const out = await handler(jobContext({ workspace: ws, job: planJob("build", { with: { docker: "off" } }) }));
    expect(out.ok).toBe(true);
    expect(dataOf(out).image).toBeUndefined();
  });
});
