import { ErrorCode, PitstopError } from "../core/errors.js";

/**
 * ArtifactStore port: a content-addressed store (sha256) for the files a job declares as its
 * artifacts, with one manifest per (run, job). The build agent puts files; `pitstop artifacts`
 * lists and fetches them; a deploy can read the manifest of the build it deploys.
 *
 * Contract (checked by `defineArtifactStoreConformance`, conformance.ts):
 * - Paths in manifests are relative POSIX paths (`dist/app.js`) with no `.`/`..` segment; a path
 *   or a name that is absolute or contains `..` is refused with `ArtifactError` reason `escape`,
 *   and so is a file whose real path (through symlinks) leaves the workspace. Nothing outside the
 *   workspace is ever read, nothing outside `outDir` is ever written.
 * - Content is stored once per sha256 (dedup across files, jobs and runs); a blob is written to a
 *   temporary file and renamed into place, so a reader never sees half a blob.
 * - `putFiles` is idempotent for the same input; the manifest of (run, job) is replaced by a later
 *   or equal attempt and never by an older one (`stale`: a presumed-dead agent cannot overwrite
 *   a newer attempt's artifacts).
 * - `digest` is a function of the file list only (path, sha256, size, mode, sorted by path): the
 *   same files give the same digest whatever the run, job, attempt, time or input order.
 * - Reads verify: `fetch` checks every blob's sha256 and size while copying and throws `corrupt`
 *   (leaving no partial file at the destination) when they differ or the blob is missing;
 *   `getManifest`/`listManifests` throw `corrupt` for a manifest that is unreadable or whose
 *   digest does not match its files.
 * - No method is cancellable; each finishes or throws. Filesystem failures other than the ones
 *   above surface as PitstopError INTERNAL with the cause.
 */
export interface ArtifactStore {
  readonly name: string;
  /**
   * Stores `files` (paths relative to `workspace`) and writes the manifest of (meta.runId,
   * meta.jobId). An empty list stores an empty manifest ("the job declared artifacts, none
   * matched"). Throws `escape`, `not_found` (a listed file does not exist), `invalid` (not a
   * regular file, bad run or job id) or `stale`.
   */
  putFiles(workspace: string, files: readonly string[], meta: ManifestMeta): Promise<Manifest>;
  /**
   * The manifest of (runId, jobId); without `jobId`, the run's most recently created manifest
   * (what a deploy of "this run's build" wants). Null when there is none.
   */
  getManifest(runId: string, jobId?: string): Promise<Manifest | null>;
  /** Every manifest of the run, sorted by job id; [] for a run without artifacts. */
  listManifests(runId: string): Promise<Manifest[]>;
  /**
   * Restores artifacts of the run under `outDir` (created when missing) at their relative paths.
   * `name` is a job id (all of that job's files), a file path, or a directory path (every file
   * under it). Throws `escape` for a name with `..` or an absolute one, `not_found` when nothing
   * matches, `invalid` when a path is in several jobs with different content, `out_dir` when
   * `outDir` cannot be created or written, `corrupt` when a stored blob fails verification.
   */
  fetch(runId: string, name: string, outDir: string): Promise<FetchResult>;
}

export interface ArtifactFile {
  /** Relative POSIX path inside the workspace, e.g. `dist/src/server.js`. */
  path: string;
  /** Lower-case hex sha256 of the content. */
  sha256: string;
  size: number;
  /** Permission bits (`0o644` = 420); restored by `fetch`. */
  mode: number;
}

export interface ManifestMeta {
  runId: string;
  jobId: string;
  attempt: number;
  /** Epoch milliseconds (the store never reads a clock). */
  createdAt: number;
}

export interface Manifest {
  runId: string;
  jobId: string;
  attempt: number;
  /** ISO 8601. */
  createdAt: string;
  /** Sorted by path. */
  files: ArtifactFile[];
  /** `sha256:<hex>` of the canonical file list (see manifest.ts `manifestDigest`). */
  digest: string;
}

export interface FetchedFile {
  jobId: string;
  path: string;
  /** Absolute path written. */
  dest: string;
  sha256: string;
  size: number;
}

export interface FetchResult {
  files: FetchedFile[];
}

export const ArtifactErrorReason = {
  escape: "escape",
  not_found: "not_found",
  invalid: "invalid",
  out_dir: "out_dir",
  corrupt: "corrupt",
  stale: "stale",
} as const;
export type ArtifactErrorReason = (typeof ArtifactErrorReason)[keyof typeof ArtifactErrorReason];

const CODE_OF: Record<ArtifactErrorReason, ErrorCode> = {
  escape: ErrorCode.PATH_ESCAPE,
  not_found: ErrorCode.USAGE,
  invalid: ErrorCode.USAGE,
  out_dir: ErrorCode.USAGE,
  corrupt: ErrorCode.INTERNAL,
  stale: ErrorCode.STALE_LEASE,
};

/** What an ArtifactStore throws on purpose; `reason` says which contract clause applies. */
export class ArtifactError extends PitstopError {
  readonly reason: ArtifactErrorReason;

  constructor(reason: ArtifactErrorReason, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(CODE_OF[reason], message, { details: { reason, ...details }, cause });
    this.name = "ArtifactError";
    this.reason = reason;
  }
}

export function isArtifactError(e: unknown, reason?: ArtifactErrorReason): e is ArtifactError {
  return e instanceof ArtifactError && (reason === undefined || e.reason === reason);
}
