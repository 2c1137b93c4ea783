import { spawn, type ChildProcess } from "node:child_process";
import { cp, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const APP = path.join(ROOT, "examples", "dashboard-app");

/**
 * A compiled copy of examples/dashboard-app (src and test) in a temp directory, so these tests never
 * race others that build the example in place; node_modules points at the root's, as in a clone.
 */
export async function buildAppCopy(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "pitstop-inject-app-"));
  await cp(APP, dir, { recursive: true, filter: (src) => !/[/\\](dist|reports|node_modules|\.pitstop)$/.test(src) });
  await symlink(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  await promisify(execFile)(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], { cwd: dir });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface AppProcess {
  child: ChildProcess & { pid: number };
  url: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node dist/src/server.js` with PORT=0 and exactly `env` (plus PATH); resolves once it listens. */
export async function startApp(dir: string, env: Record<string, string>, children: ChildProcess[]): Promise<AppProcess> {
  const child = spawn(process.execPath, ["dist/src/server.js"], { cwd: dir, env: { PATH: process.env["PATH"] ?? "", PORT: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  if (child.pid === undefined) throw new Error("spawn failed");
  children.push(child);
  let out = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("close", (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`app did not listen within 15 s:\n${out}`)), 15_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
    void exited.then(() => reject(new Error(`app exited before listening:\n${out}`)));
  });
  return { child: child as ChildProcess & { pid: number }, url, output: () => out, exited };
}

export async function killAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once("close", r));
      child.kill("SIGKILL");
      await gone;
    }),
  );
}

/** utime (user-mode clock ticks) of a process, field 14 of /proc/<pid>/stat. */
export async function userTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]);
}

/** Wall time of one GET, in ms, and its status. */
export async function timedGet(url: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}
