import { readdir, realpath, stat } from "node:fs";
import type { Dirent } from "node:fs";
import { realpath as realpathAsync, stat as statAsync } from "node:fs/promises";
import path from "node:path";
import { glob } from "tinyglobby";

/** A runaway glob (`**` over node_modules) should fail clearly rather than fill the disk. */
export const MAX_ARTIFACT_FILES = 20_000;

export interface CollectedArtifacts {
  /** Relative POSIX paths inside the workspace, sorted, unique. */
  files: string[];
  /** Worth telling the user; the stage still succeeds (a glob that matched nothing…). */
  warnings: string[];
  /** Why the artifacts are refused (a file leaving the workspace…); the stage fails. */
  refused: string[];
}

/** The reason a glob is refused before anything runs, or null: absolute or with a `..` segment. */
export function escapingGlob(pattern: string): string | null {
  if (path.isAbsolute(pattern) || /^[A-Za-z]:[\\/]/.test(pattern)) return `artifacts: \`${pattern}\` is absolute: use a glob relative to the project, like "dist/**"`;
  if (pattern.split(/[\\/]/).includes("..")) return `artifacts: \`${pattern}\` leaves the workspace (\`..\`): artifacts must be files inside the project`;
  return null;
}

/**
 * A readdir that reports symlinks as plain files, so the glob matches them by name without
 * following them (tinyglobby either follows links, walking wherever they lead, or drops them
 * silently). Each match is then resolved and checked: one that leads outside the workspace is
 * refused by name instead of being skipped or copied.
 */
function readdirLinksAsFiles(dir: string, opts: { withFileTypes: true }, cb: (err: NodeJS.ErrnoException | null, entries: Dirent[]) => void): void {
  readdir(dir, opts, (err, entries) => {
    if (err) return cb(err, []);
    cb(null, entries.map((e) => (e.isSymbolicLink() ? linkAsFile(e) : e)));
  });
}

function linkAsFile(e: Dirent): Dirent {
  return Object.assign(Object.create(Object.getPrototypeOf(e) as object) as Dirent, e, {
    isFile: () => true,
    isDirectory: () => false,
    isSymbolicLink: () => false,
  });
}

/**
 * Expands the artifact globs (relative to the workspace) into files. `ignore` holds globs that
 * never match (the data directory when it lives in the workspace, `.git`).
 */
export async function collectArtifacts(workspace: string, patterns: readonly string[], ignore: readonly string[]): Promise<CollectedArtifacts> {
  const root = await realpathAsync(workspace);
  const files = new Set<string>();
  const warnings: string[] = [];
  const refused: string[] = [];
  for (const pattern of patterns) {
    const bad = escapingGlob(pattern);
    if (bad !== null) {
      refused.push(bad);
      continue;
    }
    const matches = await glob(pattern, {
      cwd: root,
      onlyFiles: true,
      dot: true,
      followSymbolicLinks: false,
      ignore: [...ignore],
      fs: { readdir: readdirLinksAsFiles as never, realpath, stat },
    });
    if (matches.length === 0) warnings.push(`artifacts: no file matched \`${pattern}\``);
    for (const rel of matches.sort()) {
      const verdict = await checkMatch(root, rel, pattern);
      if (verdict === "ok") files.add(rel);
      else if (verdict.refuse) refused.push(verdict.message);
      else warnings.push(verdict.message);
    }
    if (files.size > MAX_ARTIFACT_FILES) {
      refused.push(`artifacts: more than ${MAX_ARTIFACT_FILES} files matched (\`${pattern}\`): narrow the globs (node_modules is rarely an artifact)`);
      break;
    }
  }
  return { files: [...files].sort(), warnings, refused };
}

async function checkMatch(root: string, rel: string, pattern: string): Promise<"ok" | { refuse: boolean; message: string }> {
  const abs = path.join(root, rel);
  let real: string;
  try {
    real = await realpathAsync(abs);
  } catch {
    return { refuse: false, message: `artifacts: ${rel} (matched by \`${pattern}\`) is a symlink to nothing; skipped` };
  }
  const back = path.relative(root, real);
  if (back === ".." || back.startsWith(`..${path.sep}`) || path.isAbsolute(back)) {
    return { refuse: true, message: `artifacts: ${rel} (matched by \`${pattern}\`) is a symlink that leaves the workspace (to ${real}): refused; artifacts must be files inside the project` };
  }
  const st = await statAsync(real);
  if (!st.isFile()) {
    return { refuse: false, message: `artifacts: ${rel} (matched by \`${pattern}\`) is a symlink to a directory; not followed: add a glob for ${back} instead` };
  }
  return "ok";
}
