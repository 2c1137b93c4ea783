import { createHash } from "node:crypto";
import { z } from "zod";
import type { ArtifactFile } from "./port.js";

/**
 * Why a relative path is unsafe, or null when it is a plain relative POSIX path that stays where
 * it is put: not empty, not absolute, no `..`, `.` or empty segment, no backslash, no NUL.
 */
export function unsafePathReason(p: string): string | null {
  if (p === "") return "is empty";
  if (p.includes("\0")) return "contains a NUL byte";
  if (p.startsWith("/") || /^[A-Za-z]:/.test(p)) return "is absolute";
  if (p.includes("\\")) return "contains a backslash";
  const segments = p.split("/");
  if (segments.includes("..")) return "contains `..`";
  if (segments.some((s) => s === "" || s === ".")) return "is not a normalised relative path";
  return null;
}

const HEX64 = /^[0-9a-f]{64}$/;

export const ArtifactFileSchema = z.object({
  path: z.string().refine((p) => unsafePathReason(p) === null, { message: "unsafe path" }),
  sha256: z.string().regex(HEX64),
  size: z.number().int().min(0),
  mode: z.number().int().min(0).max(0o7777),
});

export const ManifestSchema = z.object({
  runId: z.string().min(1),
  jobId: z.string().min(1),
  attempt: z.number().int().min(0),
  createdAt: z.string(),
  files: z.array(ArtifactFileSchema),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
});

/** Files sorted by path (code-unit order, like `LC_ALL=C sort`), each with exactly its four fields. */
export function canonicalFiles(files: readonly ArtifactFile[]): ArtifactFile[] {
  return files
    .map((f) => ({ path: f.path, sha256: f.sha256, size: f.size, mode: f.mode }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * `sha256:<hex>` of the canonical file list: JSON of `canonicalFiles(files)` (keys in the order
 * path, sha256, size, mode; no whitespace). Depends on nothing but the files, so two builds that
 * produce the same bytes have the same digest.
 */
export function manifestDigest(files: readonly ArtifactFile[]): string {
  const canonical = JSON.stringify(canonicalFiles(files));
  return `sha256:${createHash("sha256").update(canonical).digest("hex")}`;
}
