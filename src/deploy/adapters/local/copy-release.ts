import { copyFile, cp, mkdir, readdir, rename, rm, stat, symlink } from "node:fs/promises";
import path from "node:path";
import { glob } from "tinyglobby";

/** Never shipped by default: installed dependencies (linked instead), VCS data, pitstop's own data. */
const SKIPPED_NAMES = new Set(["node_modules", ".git", ".pitstop"]);

export class ReleaseCopyError extends Error {
  override readonly name = "ReleaseCopyError";
}

export interface CopyReleaseInput {
  sourceDir: string;
  /** Globs relative to sourceDir; absent = everything but node_modules, .git, .pitstop. */
  files?: string[];
  dest: string;
  /** Absolute paths never copied (the data directory, when it lies inside the source). */
  exclude: string[];
}

/**
 * Copies a release into its own directory (`releases/<id>/`), so later builds in the workspace
 * never change what runs. Written to a temporary sibling and renamed, so a half-copied release
 * never exists under its id. `node_modules` is not copied but symlinked to the source's: copying
 * it costs seconds and disk per release, and the release runs with the dependencies it was built
 * with as long as the workspace keeps them (documented in docs/stages/deploy.md).
 */
export async function copyRelease(input: CopyReleaseInput): Promise<{ files: number | null }> {
  const src = path.resolve(input.sourceDir);
  const st = await stat(src).catch(() => null);
  if (st === null || !st.isDirectory()) throw new ReleaseCopyError(`source directory ${src} does not exist: build the application first or fix the deploy directory`);
  const tmp = `${input.dest}.partial-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    let files: number | null = null;
    if (input.files !== undefined && input.files.length > 0) files = await copyGlobs(src, input.files, tmp);
    else await copyTree(src, tmp, input.exclude);
    const modules = path.join(src, "node_modules");
    if (await stat(modules).then((s) => s.isDirectory()).catch(() => false)) await symlink(modules, path.join(tmp, "node_modules"), "dir");
    await rm(input.dest, { recursive: true, force: true });
    await rename(tmp, input.dest);
    return { files };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * The whole source but the skipped names, one top-level entry at a time: with the data directory
 * inside the source (the default `.pitstop`), one `cp(src, dest)` is refused by Node as a copy
 * into a subdirectory of itself before any filter runs.
 */
async function copyTree(src: string, dest: string, excludeAll: readonly string[]): Promise<void> {
  // A directory that holds the source (a data dir with the workspace inside) excludes only itself, not the source.
  const exclude = excludeAll.map((x) => path.resolve(x)).filter((x) => !(src === x || src.startsWith(`${x}${path.sep}`)));
  for (const name of await readdir(src)) {
    const from = path.join(src, name);
    if (!keep(src, from, exclude)) continue;
    await cp(from, path.join(dest, name), { recursive: true, verbatimSymlinks: true, filter: (p) => keep(src, p, exclude) });
  }
}

function keep(src: string, p: string, exclude: readonly string[]): boolean {
  const abs = path.resolve(p);
  if (exclude.some((x) => abs === x || abs.startsWith(`${x}${path.sep}`))) return false;
  const rel = path.relative(src, abs);
  return rel === "" || !rel.split(path.sep).some((seg) => SKIPPED_NAMES.has(seg));
}

async function copyGlobs(src: string, patterns: string[], dest: string): Promise<number> {
  for (const p of patterns) {
    if (path.isAbsolute(p) || p.split(/[\\/]/).includes("..")) {
      throw new ReleaseCopyError(`files: ${JSON.stringify(p)} leaves the source directory: use a glob relative to it without ".."`);
    }
  }
  const matches = await glob(patterns, { cwd: src, dot: true, onlyFiles: true, followSymbolicLinks: false, ignore: ["**/node_modules/**", "**/.git/**", "**/.pitstop/**"] });
  if (matches.length === 0) throw new ReleaseCopyError(`files: no file in ${src} matches ${patterns.map((p) => JSON.stringify(p)).join(", ")}`);
  for (const rel of matches) {
    const to = path.join(dest, rel);
    await mkdir(path.dirname(to), { recursive: true });
    await copyFile(path.join(src, rel), to);
  }
  return matches.length;
}
