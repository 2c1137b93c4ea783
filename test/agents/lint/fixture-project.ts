import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (test/agents/lint → ../../..). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** The repository's installed tools (eslint 9, tsc), put on a job's PATH for fixtures outside the repo. */
export const REPO_BIN = path.join(REPO_ROOT, "node_modules", ".bin");

/** A PATH with node and the system tools but no node_modules/.bin: what a project without eslint sees. */
export const BARE_PATH = [path.dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(path.delimiter);

/** A PATH with the repository's tools on it. */
export const TOOLS_PATH = [REPO_BIN, BARE_PATH].join(path.delimiter);

export interface FixtureProject {
  dir: string;
  cleanup: () => Promise<void>;
}

/**
 * Writes a small project into a fresh temp dir. Fixtures live outside the repository on purpose:
 * inside it, the root eslint config and tsconfig would lint and type-check their planted errors.
 * Tests reach eslint and tsc through TOOLS_PATH (the job's PATH), which the lint stage honours.
 */
export async function fixtureProject(files: Record<string, string>): Promise<FixtureProject> {
  const dir = await mkdtemp(path.join(tmpdir(), "pitstop-lint-"));
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A flat ESLint config that needs no package (so it loads from any directory). */
export const ESLINT_CONFIG = `export default [
  {
    files: ["**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module" },
    rules: { "no-unused-vars": "error", "no-var": "warn", "prefer-const": "warn" },
  },
];
`;

export const TSCONFIG = JSON.stringify(
  { compilerOptions: { strict: true, noEmit: true, types: [], target: "ES2022", module: "ES2022", lib: ["ES2022"] }, include: ["src"] },
  null,
  2,
);
