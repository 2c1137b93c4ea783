import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";
import type { CliIO } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = path.join(ROOT, "bin", "pitstop.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Spawned {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  done: Promise<CliResult>;
  /** Resolves once stdout contains `text`. */
  waitFor: (text: string | RegExp, timeoutMs?: number) => Promise<void>;
}

/** Starts the real CLI (built dist/) as a child process. */
export function startCli(args: string[], opts: { cwd: string; env?: Record<string, string>; input?: string }): Spawned {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", LANG: "C.UTF-8", ...opts.env },
    stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  let stdout = "";
  let stderr = "";
  const watchers: Array<() => void> = [];
  child.stdout!.on("data", (d: Buffer) => {
    stdout += d.toString();
    watchers.forEach((w) => w());
  });
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  return {
    child,
    out: () => stdout,
    err: () => stderr,
    done,
    waitFor(text, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const match = () => (typeof text === "string" ? stdout.includes(text) : text.test(stdout));
        if (match()) return resolve();
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${String(text)}; stdout:\n${stdout}\nstderr:\n${stderr}`)), timeoutMs);
        watchers.push(() => {
          if (match()) {
            clearTimeout(t);
            resolve();
          }
        });
      });
    },
  };
}

/**
 * The CLI's real `main` (program, exit-code mapping) in this process, for tests that need no build
 * and want the store open beside it. `args` as typed after `pitstop`.
 */
export async function runCliInProcess(args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.on("data", (d: Buffer) => (stdout += d.toString()));
  err.on("data", (d: Buffer) => (stderr += d.toString()));
  const io: CliIO = { stdout: out, stderr: err, stdin: new PassThrough(), env: { PATH: process.env.PATH, ...opts.env }, cwd: opts.cwd, isTTY: false };
  const code = await main(["node", "pitstop", ...args], io);
  return { code, stdout, stderr };
}

export function runCli(args: string[], opts: { cwd: string; env?: Record<string, string>; input?: string }): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** A temp project directory with the given files; removed by the returned cleanup. */
export async function tempProject(files: Record<string, string>): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pitstop-e2e-"));
  for (const [name, content] of Object.entries(files)) {
    await writeFile(path.join(dir, name), content);
  }
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Whether a process exists and is not a zombie waiting to be reaped. */
/** Per-test temp projects, removed after each test (registers an afterEach). */
export function useTempProjects(): (files: Record<string, string>) => Promise<string> {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  return async (files) => {
    const p = await tempProject(files);
    cleanups.push(p.cleanup);
    return p.dir;
  };
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Polls until the process is gone (killing is asynchronous), up to `ms`. */
export async function waitGone(pid: number, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}
