import { readdir, readFile, writeFile, mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createAppRegistry } from "../../../src/app/app-registry.js";
import { isPitstopError } from "../../../src/core/errors.js";
import type { AppSpec } from "../../../src/core/healing/onboarding.js";
import { GREEN_PIPELINE, makeGitRepo, tempDirs } from "./fixtures.js";

const dirs = tempDirs();
afterEach(() => dirs.removeAll());

const spec = (name: string, over: Partial<AppSpec> = {}): AppSpec => ({
  name,
  repo: "https://github.com/acme/shop.git",
  runtime: "node",
  environment: "stage",
  pipeline: "pipeline.yml",
  createdAt: "2024-05-01T10:00:00.000Z",
  workspace: "/srv/apps/shop",
  ...over,
});

describe("app registry", () => {
  it("writes <dataDir>/apps/<name>.json and reads it back; unknown apps are null", async () => {
    const dataDir = await dirs.make("pitstop-registry-");
    const registry = createAppRegistry(dataDir);
    expect(await registry.list()).toEqual([]);
    expect(await registry.get("shop")).toBeNull();
    await registry.create(spec("shop"));
    await registry.create(spec("api", { runtime: "python" }));
    expect(registry.specPath("shop")).toBe(path.join(dataDir, "apps", "shop.json"));
    expect(JSON.parse(await readFile(path.join(dataDir, "apps", "shop.json"), "utf8"))).toEqual(spec("shop"));
    expect(await registry.get("shop")).toEqual(spec("shop"));
    expect((await registry.list()).map((s) => s.name)).toEqual(["api", "shop"]);
    // No temporary file is left beside the specs.
    expect((await readdir(registry.dir)).sort()).toEqual(["api.json", "shop.json"]);
  });

  it("never overwrites: of concurrent creates of one name exactly one wins", async () => {
    const registry = createAppRegistry(await dirs.make("pitstop-registry-"));
    const results = await Promise.allSettled(["a", "b", "c", "d"].map((w) => registry.create(spec("shop", { workspace: `/w/${w}` }))));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results.filter((r) => r.status === "rejected")) {
      expect(isPitstopError(r.reason, "USAGE")).toBe(true);
      expect(String(r.reason.message)).toMatch(/app shop is already onboarded: pick another name or remove .*apps\/shop\.json/);
    }
    const winner = results.findIndex((r) => r.status === "fulfilled");
    expect((await registry.get("shop"))!.workspace).toBe(`/w/${"abcd"[winner]}`);
    expect(await readdir(registry.dir)).toEqual(["shop.json"]);
  });

  it("refuses names that would leave the registry directory", async () => {
    const registry = createAppRegistry(await dirs.make("pitstop-registry-"));
    for (const name of ["../evil", "a/b", "", "UP"]) {
      expect(() => registry.specPath(name)).toThrow(/not a valid app name/);
      await expect(registry.create(spec(name))).rejects.toThrow(/not a valid app name/);
    }
  });

  it("names the file when a spec is malformed", async () => {
    const registry = createAppRegistry(await dirs.make("pitstop-registry-"));
    await mkdir(registry.dir, { recursive: true });
    await writeFile(registry.specPath("bad"), "{ not json");
    await expect(registry.get("bad")).rejects.toThrow(/apps\/bad\.json: not JSON .*remove the file and onboard again/);
    await writeFile(registry.specPath("odd"), JSON.stringify({ ...spec("odd"), runtime: "cobol" }));
    await expect(registry.get("odd")).rejects.toThrow(/apps\/odd\.json: runtime: .*onboard again/);
  });

  it("clones a repository with git (depth 1) into <dataDir>/apps/<name>/checkout", async () => {
    const repo = await makeGitRepo(await dirs.make("pitstop-repo-"), { "pipeline.yml": GREEN_PIPELINE, "src/app.js": "console.log(1)\n" });
    const registry = createAppRegistry(await dirs.make("pitstop-registry-"));
    // A leftover from an onboarding that stopped half way does not block the clone.
    await mkdir(path.join(registry.checkoutPath("shop"), "junk"), { recursive: true });
    const dir = await registry.checkout("shop", repo);
    expect(dir).toBe(path.join(registry.dir, "shop", "checkout"));
    expect(await readFile(path.join(dir, "pipeline.yml"), "utf8")).toBe(GREEN_PIPELINE);
    expect(await readFile(path.join(dir, "src", "app.js"), "utf8")).toBe("console.log(1)\n");
    expect((await stat(path.join(dir, ".git"))).isDirectory()).toBe(true);
    await expect(stat(path.join(dir, "junk"))).rejects.toThrow(/ENOENT/);
  });

  it("a failed clone says why and leaves nothing behind", async () => {
    const registry = createAppRegistry(await dirs.make("pitstop-registry-"));
    const missing = path.join(await dirs.make("pitstop-none-"), "no-such-repo");
    await expect(registry.checkout("shop", missing)).rejects.toThrow(/--repo: git could not clone .*no-such-repo.*check the URL/);
    await expect(stat(path.join(registry.dir, "shop"))).rejects.toThrow(/ENOENT/);
    await expect(registry.checkout("shop", "--upload-pack=touch /tmp/x")).rejects.toThrow(/starts with `-`/);
  });
});
