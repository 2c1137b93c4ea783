import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { access, chmod, mkdir, readdir, readFile, realpath, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { canonicalFiles, manifestDigest, ManifestSchema, unsafePathReason } from "../manifest.js";
import { ArtifactError, type ArtifactFile, type ArtifactStore, type FetchedFile, type Manifest, type ManifestMeta } from "../port.js";
import { copyHashing, errnoOf, fsFailure, isInside, mapLimit } from "./local-files.js";

export interface LocalArtifactStoreOptions {
  /** pitstop's data directory; the store lives in `<dataDir>/artifacts/`. */
  dataDir: string;
}

/** Files hashed and copied at once: enough to overlap I/O, few enough to stay under fd limits. */
const PARALLEL = 8;

/**
 * The ArtifactStore on the local filesystem:
 * `<dataDir>/artifacts/sha256/<ab>/<hash>` holds each content once (`ab` = first two hex digits),
 * `<dataDir>/artifacts/manifests/<runId>/<jobId>.json` one manifest per run and job (ids
 * URI-encoded), `<dataDir>/artifacts/tmp/` the blobs being written (same filesystem, so the final
 * rename is atomic).
 */
export function createLocalArtifactStore(opts: LocalArtifactStoreOptions): ArtifactStore {
  const root = path.join(path.resolve(opts.dataDir), "artifacts");
  const tmpDir = path.join(root, "tmp");
  const blobPath = (sha256: string): string => path.join(root, "sha256", sha256.slice(0, 2), sha256);
  const runDir = (runId: string): string => path.join(root, "manifests", encodeURIComponent(checkId("run", runId)));
  const manifestPath = (runId: string, jobId: string): string => path.join(runDir(runId), `${encodeURIComponent(checkId("job", jobId))}.json`);

  async function storeBlob(src: string): Promise<{ sha256: string; size: number }> {
    await mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, `${randomUUID()}.part`);
    try {
      const hashed = await copyHashing(src, tmp);
      const dest = blobPath(hashed.sha256);
      const existing = await stat(dest).catch(() => null);
      // Same hash already stored: keep it (dedup). A stored blob of the wrong size is damaged:
      // replace it with the good copy rather than keep serving the bad one.
      if (existing?.isFile() && existing.size === hashed.size) {
        await rm(tmp, { force: true });
      } else {
        await mkdir(path.dirname(dest), { recursive: true });
        await rename(tmp, dest);
      }
      return hashed;
    } catch (e) {
      await rm(tmp, { force: true });
      throw fsFailure("storing", src, e);
    }
  }

  async function storeOne(workspace: string, rel: string): Promise<ArtifactFile> {
    const reason = unsafePathReason(rel);
    if (reason !== null) {
      throw new ArtifactError("escape", `artifact path ${JSON.stringify(rel)} ${reason}: artifact paths are relative to the workspace and stay inside it`, { path: rel });
    }
    const real = await realpath(path.join(workspace, rel)).catch((e: unknown) => {
      if (errnoOf(e) === "ENOENT") throw new ArtifactError("not_found", `artifact ${rel} does not exist in the workspace ${workspace} (or is a symlink to nothing)`, { path: rel });
      throw fsFailure("resolving", rel, e);
    });
    if (!isInside(workspace, real)) {
      throw new ArtifactError("escape", `artifact ${rel} points outside the workspace (to ${real}): only files inside the project are stored`, { path: rel, target: real });
    }
    const st = await stat(real);
    if (!st.isFile()) throw new ArtifactError("invalid", `artifact ${rel} is not a regular file`, { path: rel });
    const { sha256, size } = await storeBlob(real);
    return { path: rel, sha256, size, mode: st.mode & 0o777 };
  }

  async function readManifestFile(file: string): Promise<Manifest | null> {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (e) {
      if (errnoOf(e) === "ENOENT") return null;
      throw fsFailure("reading", file, e);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new ArtifactError("corrupt", `artifact manifest ${file} is not valid JSON (${(e as Error).message}): the store is damaged; rerun the build`, { file });
    }
    const m = ManifestSchema.safeParse(parsed);
    if (!m.success) {
      const issue = m.error.issues[0];
      throw new ArtifactError("corrupt", `artifact manifest ${file} is malformed at ${issue?.path.join(".") || "(root)"}: ${issue?.message}: the store is damaged; rerun the build`, { file });
    }
    if (manifestDigest(m.data.files) !== m.data.digest) {
      throw new ArtifactError("corrupt", `artifact manifest ${file}: its digest ${m.data.digest} does not match its files (edited or damaged); rerun the build`, { file });
    }
    return { ...m.data, files: canonicalFiles(m.data.files) };
  }

  async function writeManifest(m: Manifest): Promise<void> {
    const file = manifestPath(m.runId, m.jobId);
    const existing = await readManifestFile(file).catch(() => null);
    if (existing && existing.attempt > m.attempt) {
      throw new ArtifactError("stale", `artifacts of ${m.jobId} in run ${m.runId}: attempt ${existing.attempt} already stored its manifest; attempt ${m.attempt} does not replace it`, {
        runId: m.runId,
        jobId: m.jobId,
      });
    }
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = path.join(path.dirname(file), `.${randomUUID()}.tmp`);
    try {
      await writeFile(tmp, `${JSON.stringify(m, null, 2)}\n`, { flag: "wx" });
      await rename(tmp, file);
    } catch (e) {
      await rm(tmp, { force: true });
      throw fsFailure("writing", file, e);
    }
  }

  async function listManifests(runId: string): Promise<Manifest[]> {
    const dir = runDir(runId);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      if (errnoOf(e) === "ENOENT") return [];
      throw fsFailure("listing", dir, e);
    }
    const found = await Promise.all(names.filter((n) => n.endsWith(".json")).map((n) => readManifestFile(path.join(dir, n))));
    return found.filter((m): m is Manifest => m !== null).sort((a, b) => (a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0));
  }

  async function restoreOne(outRoot: string, jobId: string, f: ArtifactFile): Promise<FetchedFile> {
    const dest = path.join(outRoot, f.path);
    const dir = path.dirname(dest);
    await mkdir(dir, { recursive: true }).catch((e: unknown) => {
      throw new ArtifactError("out_dir", `cannot create ${dir} for ${f.path}: ${errnoOf(e) ?? String(e)}`, { path: f.path }, e);
    });
    // A symlink already in the output tree must not carry the write elsewhere.
    if (!isInside(outRoot, await realpath(dir))) throw new ArtifactError("escape", `${dir} leads outside the output directory ${outRoot} (a symlink): refusing to write ${f.path}`, { path: f.path });
    const tmp = path.join(dir, `.${path.basename(dest)}.${randomUUID()}.part`);
    const blob = blobPath(f.sha256);
    let got: { sha256: string; size: number };
    try {
      got = await copyHashing(blob, tmp, 0o600);
    } catch (e) {
      await rm(tmp, { force: true });
      if (errnoOf(e) === "ENOENT" && !(await exists(blob))) {
        throw new ArtifactError("corrupt", `artifact store is damaged: the content of ${f.path} (job ${jobId}, sha256 ${f.sha256}) is missing from ${blob}; rerun the build`, { path: f.path, blob });
      }
      throw new ArtifactError("out_dir", `cannot write ${dest}: ${errnoOf(e) ?? String(e)}`, { path: f.path }, e);
    }
    if (got.sha256 !== f.sha256 || got.size !== f.size) {
      await rm(tmp, { force: true });
      throw new ArtifactError(
        "corrupt",
        `artifact store is damaged: ${f.path} (job ${jobId}) should have sha256 ${f.sha256} and ${f.size} bytes, but ${blob} has sha256 ${got.sha256} and ${got.size} bytes; nothing was written for it; rerun the build`,
        { path: f.path, blob, expected: f.sha256, actual: got.sha256 },
      );
    }
    await chmod(tmp, f.mode);
    await rename(tmp, dest);
    return { jobId, path: f.path, dest, sha256: f.sha256, size: f.size };
  }

  return {
    name: "local",

    async putFiles(workspace, files, meta) {
      checkMeta(meta);
      const ws = await realpath(workspace).catch((e: unknown) => {
        throw new ArtifactError("not_found", `workspace ${workspace} does not exist (${errnoOf(e) ?? String(e)})`, { workspace });
      });
      const unique = [...new Set(files)];
      const stored = canonicalFiles(await mapLimit(unique, PARALLEL, (rel) => storeOne(ws, rel)));
      const manifest: Manifest = {
        runId: meta.runId,
        jobId: meta.jobId,
        attempt: meta.attempt,
        createdAt: new Date(meta.createdAt).toISOString(),
        files: stored,
        digest: manifestDigest(stored),
      };
      await writeManifest(manifest);
      return manifest;
    },

    async getManifest(runId, jobId) {
      if (jobId !== undefined) return readManifestFile(manifestPath(runId, jobId));
      const all = await listManifests(runId);
      // Newest first; ties (same millisecond) go to the job id that sorts last, deterministically.
      return all.reduce<Manifest | null>((best, m) => (best === null || m.createdAt >= best.createdAt ? m : best), null);
    },

    listManifests,

    async fetch(runId, name, outDir) {
      const wanted = normaliseName(name);
      const manifests = await listManifests(runId);
      if (manifests.length === 0) throw new ArtifactError("not_found", `run ${runId} has no artifacts: a build stage stores them (see docs/stages/build.md)`, { runId });
      const picked = selectFiles(manifests, wanted, name);
      const outRoot = await prepareOutDir(outDir);
      const fetched: FetchedFile[] = [];
      // One at a time: a damaged blob stops the fetch at once, with the files before it verified.
      for (const { jobId, file } of picked) fetched.push(await restoreOne(outRoot, jobId, file));
      return { files: fetched };
    },
  };
}

function checkId(what: "run" | "job", id: string): string {
  if (id === "" || id === "." || id === ".." || id.includes("\0")) throw new ArtifactError("invalid", `invalid ${what} id ${JSON.stringify(id)}`, { [what]: id });
  return id;
}

function checkMeta(meta: ManifestMeta): void {
  checkId("run", meta.runId);
  checkId("job", meta.jobId);
  if (!Number.isInteger(meta.attempt) || meta.attempt < 0) throw new ArtifactError("invalid", `invalid attempt ${meta.attempt}: a whole number ≥ 0`);
  if (!Number.isFinite(meta.createdAt)) throw new ArtifactError("invalid", `invalid createdAt ${meta.createdAt}: epoch milliseconds`);
}

/** `./dist/app.js` and `dist/` name what `dist/app.js` and `dist` do; anything escaping is refused. */
function normaliseName(name: string): string {
  const n = name.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
  const reason = unsafePathReason(n);
  if (reason !== null) {
    throw new ArtifactError("escape", `artifact name ${JSON.stringify(name)} ${reason}: give a job id or a path as \`pitstop artifacts <run>\` lists it`, { name });
  }
  return n;
}

/** A job id (all its files), else an exact path, else a directory prefix. */
function selectFiles(manifests: readonly Manifest[], wanted: string, original: string): Array<{ jobId: string; file: ArtifactFile }> {
  const job = manifests.find((m) => m.jobId === wanted);
  if (job) return job.files.map((file) => ({ jobId: job.jobId, file }));
  const all = manifests.flatMap((m) => m.files.map((file) => ({ jobId: m.jobId, file })));
  let picked = all.filter((x) => x.file.path === wanted);
  if (picked.length === 0) picked = all.filter((x) => x.file.path.startsWith(`${wanted}/`));
  if (picked.length === 0) {
    const jobs = manifests.map((m) => m.jobId).join(", ");
    throw new ArtifactError("not_found", `no artifact named ${JSON.stringify(original)} in run ${manifests[0]!.runId}: not a job with artifacts (${jobs}) nor a stored path; \`pitstop artifacts <run>\` lists them`, { name: original });
  }
  const byPath = new Map<string, { jobId: string; file: ArtifactFile }>();
  for (const x of picked) {
    const seen = byPath.get(x.file.path);
    if (seen && seen.file.sha256 !== x.file.sha256) {
      throw new ArtifactError("invalid", `${x.file.path} differs between jobs ${seen.jobId} and ${x.jobId}: fetch one job's artifacts by its id instead`, { path: x.file.path });
    }
    if (!seen) byPath.set(x.file.path, x);
  }
  return [...byPath.values()];
}

async function prepareOutDir(outDir: string): Promise<string> {
  const abs = path.resolve(outDir);
  try {
    await mkdir(abs, { recursive: true });
    await access(abs, constants.W_OK);
    return await realpath(abs);
  } catch (e) {
    throw new ArtifactError("out_dir", `cannot write to the output directory ${abs} (${errnoOf(e) ?? String(e)}): choose a writable directory with --out`, { outDir: abs }, e);
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
