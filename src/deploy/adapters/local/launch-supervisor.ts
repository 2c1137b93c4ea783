import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { DeployEnvironment } from "../../port.js";
import type { EnvPaths } from "./env-paths.js";
import type { SupervisorMessage } from "./supervisor-main.js";
import { logTail } from "./worker-process.js";

export interface LaunchInput {
  dataDir: string;
  environment: DeployEnvironment;
  paths: EnvPaths;
  host: string;
  port: number;
  stopGraceMs: number;
  keepReleases: number;
  /** The launching process's environment: PATH and locale are passed on, nothing else. */
  env: Readonly<Record<string, string | undefined>>;
}

// Loading from TypeScript sources (tests, a source checkout) also loads the compiler: give it time.
const READY_TIMEOUT_MS = 30_000;

/**
 * Starts the environment's supervisor as a detached process (own session, output to
 * supervisor.log, no tie to this process once it reported ready) and waits for its first word.
 */
export async function launchSupervisor(input: LaunchInput): Promise<SupervisorMessage> {
  await mkdir(input.paths.root, { recursive: true });
  const args = [
    ...entryArgv(),
    "--data-dir", path.resolve(input.dataDir),
    "--environment", input.environment,
    "--host", input.host,
    "--port", String(input.port),
    "--grace-ms", String(input.stopGraceMs),
    "--keep", String(input.keepReleases),
  ];
  const env: Record<string, string> = {};
  for (const k of ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"]) if (input.env[k] !== undefined) env[k] = input.env[k] as string;
  const fd = openSync(input.paths.supervisorLog, "a", 0o600);
  const child = spawn(process.execPath, args, { cwd: input.paths.root, env, detached: true, stdio: ["ignore", fd, fd, "ipc"] });
  closeSync(fd);
  const answer = await new Promise<SupervisorMessage | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), READY_TIMEOUT_MS);
    child.once("message", (m) => {
      clearTimeout(timer);
      resolve(m as SupervisorMessage);
    });
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(null);
    });
    child.once("error", () => {
      clearTimeout(timer);
      resolve(null);
    });
  });
  if (child.connected) child.disconnect();
  child.unref();
  if (answer !== null) return answer;
  if (child.exitCode === null && child.pid !== undefined) child.kill("SIGKILL");
  const tail = await logTail(input.paths.supervisorLog, 6);
  return { type: "error", code: "failed", message: `the supervisor of ${input.environment} did not start (see ${input.paths.supervisorLog})${tail.length > 0 ? `: ${tail.join(" | ")}` : ""}` };
}

/**
 * How to run supervisor-main: the compiled `.js` beside this file when pitstop runs from its
 * build (always, for users). Running from the TypeScript sources (vitest, a checkout without a
 * build) there is no `.js`, so node gets a loader that transpiles `.ts` with the project's own
 * `typescript` (a devDependency, present wherever sources are run).
 */
function entryArgv(): string[] {
  const here = fileURLToPath(import.meta.url);
  const dir = path.dirname(here);
  if (path.extname(here) === ".js") return [path.join(dir, "supervisor-main.js")];
  return ["--import", tsLoaderUrl(), path.join(dir, "supervisor-main.ts")];
}

/** `--import` value that lets node run this project's `.ts` sources (used here, and by tests that start a second pitstop). */
export function tsLoaderUrl(): string {
  const ts = pathToFileURL(createRequire(import.meta.url).resolve("typescript")).href;
  const cache = path.join(os.tmpdir(), `pitstop-ts-cache-${process.getuid?.() ?? "u"}`);
  // Transpiled files are cached by content hash: loading the compiler costs a second or more.
  const hooks = `
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
const CACHE = ${JSON.stringify(cache)};
let ts = null;
export async function resolve(spec, ctx, next) {
  if (spec.startsWith(".") && spec.endsWith(".js") && ctx.parentURL && ctx.parentURL.endsWith(".ts")) {
    const url = new URL(spec, ctx.parentURL);
    const tsUrl = url.href.slice(0, -3) + ".ts";
    if (!existsSync(fileURLToPath(url)) && existsSync(fileURLToPath(tsUrl))) return { url: tsUrl, shortCircuit: true };
  }
  return next(spec, ctx);
}
export async function load(url, ctx, next) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return next(url, ctx);
  const file = fileURLToPath(url);
  const text = readFileSync(file, "utf8");
  const cached = CACHE + "/" + createHash("sha256").update(file + "\\0" + text).digest("hex") + ".js";
  if (existsSync(cached)) return { format: "module", source: readFileSync(cached, "utf8"), shortCircuit: true };
  ts ??= (await import(${JSON.stringify(ts)})).default;
  const out = ts.transpileModule(text, { fileName: file, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, inlineSourceMap: true } });
  mkdirSync(CACHE, { recursive: true, mode: 0o700 });
  const tmp = cached + "." + process.pid;
  writeFileSync(tmp, out.outputText);
  renameSync(tmp, cached);
  return { format: "module", source: out.outputText, shortCircuit: true };
}`;
  const register = `import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  return `data:text/javascript,${encodeURIComponent(register)}`;
}
