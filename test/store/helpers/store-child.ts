import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";

const repo = path.resolve(import.meta.dirname, "../../..");

export interface StoreBuild {
  /** Directory holding `src/**` as runnable ESM JavaScript. */
  dir: string;
  cleanup(): void;
}

function transpileTree(from: string, to: string): void {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) {
      transpileTree(source, path.join(to, entry.name));
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") && entry.name !== "conformance.ts") {
      const out = ts.transpileModule(fs.readFileSync(source, "utf8"), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      fs.mkdirSync(to, { recursive: true });
      fs.writeFileSync(path.join(to, entry.name.replace(/\.ts$/, ".js")), out.outputText);
    }
  }
}

/**
 * Transpiles the store and core sources to JavaScript in a temp directory, so tests can run the
 * real store in separate processes (concurrent migrations, another uid) without a build step.
 * The directory is world-readable for children running as `nobody`.
 */
export function buildStoreForChildren(): StoreBuild {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pitstop-store-child-"));
  fs.chmodSync(dir, 0o755);
  for (const area of ["core", "store"]) transpileTree(path.join(repo, "src", area), path.join(dir, "src", area));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
  fs.symlinkSync(path.join(repo, "node_modules"), path.join(dir, "node_modules"));
  for (const d of walkDirs(dir)) fs.chmodSync(d, 0o755);
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function walkDirs(dir: string): string[] {
  const out = [dir];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...walkDirs(path.join(dir, e.name)));
  }
  return out;
}

export interface ChildResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `script` (ESM JavaScript, written into the build dir) with node; resolves when it exits. */
export function runChild(
  build: StoreBuild,
  name: string,
  script: string,
  args: string[],
  options: { uid?: number; gid?: number; timeoutMs?: number } = {},
): Promise<ChildResult> {
  const file = path.join(build.dir, `${name}.mjs`);
  fs.writeFileSync(file, script, { mode: 0o644 });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], {
      cwd: build.dir,
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid }),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stdout, stderr });
    });
  });
}
