import { access, constants } from "node:fs/promises";
import path from "node:path";

/** `node_modules/.bin` of `dir` and of every directory above it, nearest first (as npm run puts them on PATH). */
export function binDirsUp(dir: string): string[] {
  const dirs: string[] = [];
  let d = path.resolve(dir);
  for (;;) {
    dirs.push(path.join(d, "node_modules", ".bin"));
    const up = path.dirname(d);
    if (up === d) return dirs;
    d = up;
  }
}

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** Whether `bin` can be found from `dir` the way an npm script would find it (node_modules/.bin up the tree, then PATH). */
export async function hasBin(dir: string, bin: string, pathVar: string | undefined): Promise<boolean> {
  const candidates = [...binDirsUp(dir), ...(pathVar ?? "").split(path.delimiter).filter((p) => p !== "")];
  for (const d of candidates) if (await isExecutable(path.join(d, bin))) return true;
  return false;
}

/** Whether package `name` resolves from `dir` (a `node_modules/<name>` directory up the tree). */
export async function hasPackage(dir: string, name: string): Promise<boolean> {
  for (const binDir of binDirsUp(dir)) {
    const pkg = path.join(path.dirname(binDir), name, "package.json");
    if (await access(pkg).then(() => true, () => false)) return true;
  }
  return false;
}

/** PATH for the runner's process: the project's `node_modules/.bin` directories first, like `npm run`. */
export function pathWithBins(dir: string, pathVar: string | undefined): string {
  return [...binDirsUp(dir), ...(pathVar ? [pathVar] : [])].join(path.delimiter);
}
