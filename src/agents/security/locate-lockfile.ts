import { readFile, stat } from "node:fs/promises";
import path from "node:path";

export type LockfileLocation = { kind: "found"; lockfile: string } | { kind: "skip"; reason: string; problem: boolean };

const NPM_LOCKS = ["npm-shrinkwrap.json", "package-lock.json"];
const OTHER_LOCKS: Record<string, string> = { "yarn.lock": "yarn", "pnpm-lock.yaml": "pnpm", "bun.lockb": "bun", "bun.lock": "bun" };

const isFile = (p: string) => stat(p).then((s) => s.isFile(), () => false);

/**
 * The lockfile `npm audit` will read for `cwd`: its own, or, for a workspace member, the lockfile
 * of the nearest parent whose package.json declares `workspaces` (npm finds that root by itself
 * when it runs in the member). Not an npm project → skip quietly; an npm project without a
 * lockfile → skip with a problem that says how to make one.
 */
export async function locateLockfile(cwd: string, workspace: string): Promise<LockfileLocation> {
  const where = path.relative(workspace, cwd) || "the working directory";
  if (!(await isFile(path.join(cwd, "package.json")))) {
    return { kind: "skip", reason: `no package.json in ${where}: not an npm project, nothing to audit`, problem: false };
  }
  for (const name of NPM_LOCKS) {
    const p = path.join(cwd, name);
    if (await isFile(p)) return { kind: "found", lockfile: p };
  }
  const root = await workspaceRootLock(cwd);
  if (root !== null) return { kind: "found", lockfile: root };
  for (const [name, tool] of Object.entries(OTHER_LOCKS)) {
    if (await isFile(path.join(cwd, name))) {
      return { kind: "skip", reason: `${name} found in ${where} but npm audit reads only package-lock.json: audit with \`${tool} audit\` in a step, or set security.audit: false`, problem: true };
    }
  }
  return {
    kind: "skip",
    reason: `no package-lock.json in ${where}: npm audit reads the lockfile; create it with \`npm install --package-lock-only\` (and commit it), or set security.audit: false`,
    problem: true,
  };
}

async function workspaceRootLock(cwd: string): Promise<string | null> {
  for (let dir = path.dirname(cwd); ; dir = path.dirname(dir)) {
    const manifest = await readFile(path.join(dir, "package.json"), "utf8").then((t) => JSON.parse(t) as unknown, () => null);
    if (typeof manifest === "object" && manifest !== null && "workspaces" in manifest) {
      for (const name of NPM_LOCKS) {
        const p = path.join(dir, name);
        if (await isFile(p)) return p;
      }
      return null;
    }
    if (path.dirname(dir) === dir) return null;
  }
}
