import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { copyRelease } from "../../src/deploy/adapters/local/copy-release.js";

describe("copyRelease", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it("copies a workspace whose data directory (and so the release) lives inside it, as `.pitstop` does by default", async () => {
    const src = await mkdtemp(path.join(os.tmpdir(), "pitstop-copy-release-"));
    dirs.push(src);
    await mkdir(path.join(src, "dist"));
    await writeFile(path.join(src, "dist", "server.js"), "// app\n");
    await writeFile(path.join(src, "package.json"), "{}\n");
    const dataDir = path.join(src, ".pitstop");
    const dest = path.join(dataDir, "deploy", "dev", "releases", "1-1");
    await mkdir(path.dirname(dest), { recursive: true });
    await copyRelease({ sourceDir: src, dest, exclude: [dataDir] });
    expect((await readdir(dest)).sort()).toEqual(["dist", "package.json"]);
    expect(await readdir(path.join(dest, "dist"))).toEqual(["server.js"]);
  });

  it("copies a workspace that lives inside the data directory (the demo's copy of the example)", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "pitstop-copy-release-data-"));
    dirs.push(dataDir);
    const src = path.join(dataDir, "demo", "workspace");
    await mkdir(path.join(src, "dist"), { recursive: true });
    await writeFile(path.join(src, "dist", "server.js"), "// app\n");
    const dest = path.join(dataDir, "deploy", "stage", "releases", "1-1");
    await mkdir(path.dirname(dest), { recursive: true });
    await copyRelease({ sourceDir: src, dest, exclude: [path.join(dataDir, "deploy"), dataDir] });
    expect(await readdir(path.join(dest, "dist"))).toEqual(["server.js"]);
  });
});
