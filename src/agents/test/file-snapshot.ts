import { stat } from "node:fs/promises";
import path from "node:path";
import { glob } from "tinyglobby";

/**
 * Which report files a run wrote: the files matching some globs are noted (mtime and size) before
 * the run and compared after it, so a report left over from an earlier run is never taken for
 * this run's. Comparing against the file's own earlier state needs no clock at all.
 */
export type FileSnapshot = Map<string, string>;

// .pitstop/ holds pitstop's own reports (the driven runners' junit-<attempt>.xml).
const IGNORE = ["**/node_modules/**", "**/.git/**", "**/.pitstop/**"];

async function fingerprint(file: string): Promise<string | null> {
  const s = await stat(file).catch(() => null);
  return s === null || !s.isFile() ? null : `${s.mtimeMs}:${s.size}`;
}

async function matching(cwd: string, patterns: readonly string[]): Promise<string[]> {
  if (patterns.length === 0) return [];
  const files = await glob([...patterns], { cwd, absolute: true, onlyFiles: true, dot: true, followSymbolicLinks: false, ignore: IGNORE });
  return files.sort();
}

export async function takeSnapshot(cwd: string, patterns: readonly string[]): Promise<FileSnapshot> {
  const snap: FileSnapshot = new Map();
  for (const f of await matching(cwd, patterns)) {
    const fp = await fingerprint(f);
    if (fp !== null) snap.set(f, fp);
  }
  return snap;
}

/** Files matching `patterns` now that are new or changed since `before` (absolute paths, sorted). */
export async function changedSince(cwd: string, patterns: readonly string[], before: FileSnapshot): Promise<string[]> {
  const changed: string[] = [];
  for (const f of await matching(cwd, patterns)) {
    const fp = await fingerprint(f);
    if (fp !== null && before.get(f) !== fp) changed.push(f);
  }
  return changed;
}

/** A pattern or path the user gave must stay inside the workspace. */
export function escapesWorkspace(pattern: string): boolean {
  return path.isAbsolute(pattern) || pattern.split(/[\\/]/).includes("..");
}

/** Like takeSnapshot, for known paths (absolute), wherever they are. */
export async function snapshotPaths(files: readonly string[]): Promise<FileSnapshot> {
  const snap: FileSnapshot = new Map();
  for (const f of files) {
    const fp = await fingerprint(f);
    if (fp !== null) snap.set(f, fp);
  }
  return snap;
}

/** The paths of `files` that exist now and are new or changed since `before`, in the given order. */
export async function changedPaths(files: readonly string[], before: FileSnapshot): Promise<string[]> {
  const changed: string[] = [];
  for (const f of files) {
    const fp = await fingerprint(f);
    if (fp !== null && before.get(f) !== fp) changed.push(f);
  }
  return changed;
}
