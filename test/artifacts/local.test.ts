import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createLocalArtifactStore } from "../../src/artifacts/adapters/local.js";
import { defineArtifactStoreConformance, type ArtifactStoreHarness } from "../../src/artifacts/conformance.js";

async function localHarness(): Promise<ArtifactStoreHarness & { dataDir: string }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "pitstop-artifacts-data-"));
  const blob = (sha256: string) => path.join(dataDir, "artifacts", "sha256", sha256.slice(0, 2), sha256);
  return {
    dataDir,
    store: createLocalArtifactStore({ dataDir }),
    async blobCount() {
      const root = path.join(dataDir, "artifacts", "sha256");
      const dirs = await readdir(root).catch(() => [] as string[]);
      let n = 0;
      for (const d of dirs) n += (await readdir(path.join(root, d))).length;
      return n;
    },
    async corruptBlob(sha256, how) {
      if (how === "delete") await rm(blob(sha256));
      else await writeFile(blob(sha256), `${await readFile(blob(sha256), "utf8")}!`);
    },
    async tamperManifest(runId, jobId) {
      const file = path.join(dataDir, "artifacts", "manifests", runId, `${jobId}.json`);
      const m = JSON.parse(await readFile(file, "utf8")) as { files: Array<{ size: number }> };
      m.files[0]!.size += 1;
      await writeFile(file, JSON.stringify(m));
    },
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

defineArtifactStoreConformance("local", localHarness);

describe("local artifact store layout", () => {
  it("keeps blobs at sha256/<ab>/<hash>, manifests at manifests/<run>/<job>.json and no temp files", async () => {
    const h = await localHarness();
    const ws = await mkdtemp(path.join(os.tmpdir(), "pitstop-artifacts-ws-"));
    try {
      await writeFile(path.join(ws, "a.txt"), "hello");
      const m = await h.store.putFiles(ws, ["a.txt"], { runId: "r1", jobId: "test[node=20]", attempt: 1, createdAt: 0 });
      const sha = m.files[0]!.sha256;
      expect(await readFile(path.join(h.dataDir, "artifacts", "sha256", sha.slice(0, 2), sha), "utf8")).toBe("hello");
      const onDisk = JSON.parse(await readFile(path.join(h.dataDir, "artifacts", "manifests", "r1", `${encodeURIComponent("test[node=20]")}.json`), "utf8"));
      expect(onDisk).toEqual(m);
      expect(await readdir(path.join(h.dataDir, "artifacts", "tmp"))).toEqual([]);
      expect((await readdir(path.join(h.dataDir, "artifacts", "manifests", "r1"))).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    } finally {
      await rm(ws, { recursive: true, force: true });
      await h.cleanup();
    }
  });

  it("replaces a stored blob whose size shows it is damaged when the same content is put again", async () => {
    const h = await localHarness();
    const ws = await mkdtemp(path.join(os.tmpdir(), "pitstop-artifacts-ws-"));
    try {
      await writeFile(path.join(ws, "a.txt"), "hello");
      const m = await h.store.putFiles(ws, ["a.txt"], { runId: "r1", jobId: "b", attempt: 1, createdAt: 0 });
      await h.corruptBlob(m.files[0]!.sha256, "flip");
      await h.store.putFiles(ws, ["a.txt"], { runId: "r2", jobId: "b", attempt: 1, createdAt: 0 });
      const out = await mkdtemp(path.join(os.tmpdir(), "pitstop-artifacts-out-"));
      await h.store.fetch("r1", "a.txt", out);
      expect(await readFile(path.join(out, "a.txt"), "utf8")).toBe("hello");
      await rm(out, { recursive: true, force: true });
    } finally {
      await rm(ws, { recursive: true, force: true });
      await h.cleanup();
    }
  });
});
