import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { manifestDigest } from "./manifest.js";
import { isArtifactError, type ArtifactErrorReason, type ArtifactStore, type ManifestMeta } from "./port.js";

/** What a factory hands the suite: a fresh, empty store plus ways to damage it on purpose. */
export interface ArtifactStoreHarness {
  store: ArtifactStore;
  /** Number of distinct contents stored. */
  blobCount(): Promise<number>;
  /** Damages the stored content of `sha256`: `flip` changes its bytes, `delete` removes it. */
  corruptBlob(sha256: string, how: "flip" | "delete"): Promise<void>;
  /** Edits the stored manifest of (runId, jobId) so that it no longer matches its digest. */
  tamperManifest(runId: string, jobId: string): Promise<void>;
  /** Removes everything the store wrote. */
  cleanup(): Promise<void>;
}

const sha = (s: string | Buffer): string => createHash("sha256").update(s).digest("hex");
const meta = (over: Partial<ManifestMeta> = {}): ManifestMeta => ({ runId: "run-1", jobId: "build", attempt: 1, createdAt: Date.UTC(2025, 0, 2, 3, 4, 5), ...over });

async function expectReason(p: Promise<unknown>, reason: ArtifactErrorReason, text?: RegExp): Promise<Error> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (!isArtifactError(e, reason)) throw new Error(`expected an ArtifactError "${reason}", got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  if (text) expect(e.message).toMatch(text);
  return e;
}

/**
 * The ArtifactStore contract of port.ts, run against every adapter. Each test gets a fresh
 * harness from `factory` and a temporary workspace; both are removed afterwards.
 */
export function defineArtifactStoreConformance(name: string, factory: () => Promise<ArtifactStoreHarness>): void {
  describe(`ArtifactStore conformance: ${name}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });
    const tempDir = async (prefix: string): Promise<string> => {
      const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      return dir;
    };
    const open = async (): Promise<ArtifactStoreHarness> => {
      const h = await factory();
      cleanups.push(() => h.cleanup());
      return h;
    };
    /** A workspace with `files` (path → content) written under a temp dir. */
    const workspace = async (files: Record<string, string>): Promise<string> => {
      const dir = await tempDir("pitstop-artifacts-ws-");
      for (const [rel, content] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
        await writeFile(path.join(dir, rel), content);
      }
      return dir;
    };

    it("stores files and returns their manifest", async () => {
      const { store } = await open();
      const ws = await workspace({ "dist/app.js": "console.log(1)\n", "dist/sub/data.txt": "data" });
      await chmod(path.join(ws, "dist/app.js"), 0o755);
      const m = await store.putFiles(ws, ["dist/sub/data.txt", "dist/app.js"], meta());
      expect(m).toMatchObject({ runId: "run-1", jobId: "build", attempt: 1, createdAt: "2025-01-02T03:04:05.000Z" });
      expect(m.files).toEqual([
        { path: "dist/app.js", sha256: sha("console.log(1)\n"), size: 15, mode: 0o755 },
        { path: "dist/sub/data.txt", sha256: sha("data"), size: 4, mode: (await stat(path.join(ws, "dist/sub/data.txt"))).mode & 0o777 },
      ]);
      expect(m.digest).toBe(manifestDigest(m.files));
      expect(m.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(await store.getManifest("run-1", "build")).toEqual(m);
      expect(await store.listManifests("run-1")).toEqual([m]);
    });

    it("stores each content once, across files, jobs and runs", async () => {
      const h = await open();
      const ws = await workspace({ "a.txt": "same", "b/c.txt": "same", "d.txt": "other" });
      const first = await h.store.putFiles(ws, ["a.txt", "b/c.txt", "d.txt"], meta());
      expect(await h.blobCount()).toBe(2);
      const again = await h.store.putFiles(ws, ["a.txt", "b/c.txt", "d.txt", "a.txt"], meta());
      await h.store.putFiles(ws, ["a.txt"], meta({ runId: "run-2", jobId: "other" }));
      expect(await h.blobCount()).toBe(2);
      expect(again.digest).toBe(first.digest);
      expect(again.files).toHaveLength(3);
    });

    it("gives the same digest for the same files, whatever the run, job, attempt, time or order", async () => {
      const { store } = await open();
      const ws = await workspace({ "x/1.txt": "one", "x/2.txt": "two" });
      const a = await store.putFiles(ws, ["x/1.txt", "x/2.txt"], meta());
      const b = await store.putFiles(ws, ["x/2.txt", "x/1.txt"], meta({ runId: "run-9", jobId: "j", attempt: 3, createdAt: 5 }));
      expect(b.digest).toBe(a.digest);
      await writeFile(path.join(ws, "x/2.txt"), "two!");
      const c = await store.putFiles(ws, ["x/1.txt", "x/2.txt"], meta({ runId: "run-3" }));
      expect(c.digest).not.toBe(a.digest);
      await writeFile(path.join(ws, "x/2.txt"), "two");
      await chmod(path.join(ws, "x/2.txt"), 0o600);
      const d = await store.putFiles(ws, ["x/1.txt", "x/2.txt"], meta({ runId: "run-4" }));
      expect(d.digest).not.toBe(a.digest);
    });

    it("lists manifests per run, replaces one by a later attempt and refuses an older one", async () => {
      const { store } = await open();
      const ws = await workspace({ "a.txt": "a", "b.txt": "b" });
      expect(await store.getManifest("nope")).toBeNull();
      expect(await store.getManifest("nope", "build")).toBeNull();
      expect(await store.listManifests("nope")).toEqual([]);
      await store.putFiles(ws, ["a.txt"], meta({ jobId: "web", createdAt: 1000 }));
      await store.putFiles(ws, ["b.txt"], meta({ jobId: "api", createdAt: 2000 }));
      expect((await store.listManifests("run-1")).map((m) => m.jobId)).toEqual(["api", "web"]);
      expect((await store.getManifest("run-1"))?.jobId).toBe("api");
      const retried = await store.putFiles(ws, ["a.txt", "b.txt"], meta({ jobId: "web", attempt: 2, createdAt: 3000 }));
      expect(await store.getManifest("run-1", "web")).toEqual(retried);
      expect((await store.getManifest("run-1"))?.jobId).toBe("web");
      await expectReason(store.putFiles(ws, ["a.txt"], meta({ jobId: "web", attempt: 1, createdAt: 4000 })), "stale");
      expect((await store.getManifest("run-1", "web"))?.attempt).toBe(2);
      const empty = await store.putFiles(ws, [], meta({ jobId: "none" }));
      expect(empty.files).toEqual([]);
      expect(empty.digest).toBe(manifestDigest([]));
    });

    it("fetches a job's files, one file or a directory, creating the output directory", async () => {
      const { store } = await open();
      const ws = await workspace({ "dist/app.js": "app", "dist/lib/util.js": "util", "README.md": "read me" });
      await chmod(path.join(ws, "dist/app.js"), 0o750);
      await store.putFiles(ws, ["dist/app.js", "dist/lib/util.js", "README.md"], meta());
      const out = path.join(await tempDir("pitstop-artifacts-out-"), "deep", "out");
      const all = await store.fetch("run-1", "build", out);
      expect(all.files.map((f) => f.path)).toEqual(["README.md", "dist/app.js", "dist/lib/util.js"]);
      expect(all.files[1]).toMatchObject({ jobId: "build", dest: path.join(out, "dist/app.js"), sha256: sha("app"), size: 3 });
      expect(await readFile(path.join(out, "dist/lib/util.js"), "utf8")).toBe("util");
      expect((await stat(path.join(out, "dist/app.js"))).mode & 0o777).toBe(0o750);
      const one = path.join(await tempDir("pitstop-artifacts-out-"), "one");
      expect((await store.fetch("run-1", "./dist/lib/util.js", one)).files.map((f) => f.path)).toEqual(["dist/lib/util.js"]);
      expect(await readdir(one)).toEqual(["dist"]);
      const dir = await tempDir("pitstop-artifacts-out-");
      expect((await store.fetch("run-1", "dist/", dir)).files.map((f) => f.path)).toEqual(["dist/app.js", "dist/lib/util.js"]);
    });

    it("refuses names that escape and writes nothing outside the output directory", async () => {
      const { store } = await open();
      const ws = await workspace({ "a.txt": "a" });
      await store.putFiles(ws, ["a.txt"], meta());
      const base = await tempDir("pitstop-artifacts-out-");
      const out = path.join(base, "out", "inner");
      for (const bad of ["../../etc/passwd", "/etc/passwd", "a/../../x", ".."]) {
        await expectReason(store.fetch("run-1", bad, out), "escape", /\.\.|absolute/);
      }
      expect(await readdir(base)).toEqual([]);
    });

    it("says so for an unknown name, a run without artifacts and an unwritable output directory", async () => {
      const { store } = await open();
      const ws = await workspace({ "a.txt": "a" });
      const base = await tempDir("pitstop-artifacts-out-");
      await expectReason(store.fetch("run-1", "a.txt", base), "not_found", /no artifacts/);
      await store.putFiles(ws, ["a.txt"], meta());
      await expectReason(store.fetch("run-1", "missing.txt", base), "not_found", /missing\.txt/);
      await writeFile(path.join(base, "file"), "x");
      await expectReason(store.fetch("run-1", "a.txt", path.join(base, "file", "out")), "out_dir", /output directory/);
    });

    it("refuses a path that is in several jobs with different content, unless fetched by job", async () => {
      const { store } = await open();
      const ws1 = await workspace({ "dist/app.js": "one" });
      const ws2 = await workspace({ "dist/app.js": "two" });
      await store.putFiles(ws1, ["dist/app.js"], meta({ jobId: "a" }));
      await store.putFiles(ws2, ["dist/app.js"], meta({ jobId: "b" }));
      const out = await tempDir("pitstop-artifacts-out-");
      await expectReason(store.fetch("run-1", "dist/app.js", out), "invalid", /differs between jobs a and b/);
      await store.fetch("run-1", "b", out);
      expect(await readFile(path.join(out, "dist/app.js"), "utf8")).toBe("two");
    });

    it("detects damaged content on fetch and leaves no partial file", async () => {
      const h = await open();
      const ws = await workspace({ "dist/a.js": "alpha", "dist/b.js": "beta" });
      await h.store.putFiles(ws, ["dist/a.js", "dist/b.js"], meta());
      await h.corruptBlob(sha("beta"), "flip");
      const out = await tempDir("pitstop-artifacts-out-");
      await expectReason(h.store.fetch("run-1", "build", out), "corrupt", /dist\/b\.js.*sha256/);
      expect(await readdir(path.join(out, "dist"))).toEqual(["a.js"]);
      await h.corruptBlob(sha("alpha"), "delete");
      await expectReason(h.store.fetch("run-1", "dist/a.js", await tempDir("pitstop-artifacts-out-")), "corrupt", /missing/);
    });

    it("detects a tampered manifest", async () => {
      const h = await open();
      const ws = await workspace({ "a.txt": "a" });
      await h.store.putFiles(ws, ["a.txt"], meta());
      await h.tamperManifest("run-1", "build");
      await expectReason(h.store.getManifest("run-1", "build"), "corrupt", /digest|malformed|JSON/);
      await expectReason(h.store.listManifests("run-1"), "corrupt");
    });

    it("refuses files outside the workspace, also through symlinks, and stores no manifest", async () => {
      const h = await open();
      const outside = await workspace({ "secret.txt": "top secret" });
      const ws = await workspace({ "dist/ok.js": "ok" });
      await symlink(path.join(outside, "secret.txt"), path.join(ws, "dist/leak.txt"));
      await symlink("/etc", path.join(ws, "dist/etc"));
      await symlink("ok.js", path.join(ws, "dist/alias.js"));
      for (const bad of ["../secret.txt", path.join(outside, "secret.txt"), "dist/../../x"]) {
        await expectReason(h.store.putFiles(ws, [bad], meta()), "escape", /\.\.|absolute/);
      }
      await expectReason(h.store.putFiles(ws, ["dist/ok.js", "dist/leak.txt"], meta()), "escape", /dist\/leak\.txt points outside the workspace/);
      await expectReason(h.store.putFiles(ws, ["dist/etc/passwd"], meta()), "escape", /outside the workspace/);
      expect(await h.store.listManifests("run-1")).toEqual([]);
      const m = await h.store.putFiles(ws, ["dist/alias.js"], meta());
      expect(m.files).toEqual([expect.objectContaining({ path: "dist/alias.js", sha256: sha("ok") })]);
      await expectReason(h.store.putFiles(ws, ["dist/gone.js"], meta()), "not_found", /gone\.js/);
      await expectReason(h.store.putFiles(ws, ["dist"], meta()), "invalid", /not a regular file/);
    });
  });
}
