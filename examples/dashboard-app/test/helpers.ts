import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Tests run compiled from dist/test/, two levels below the app root. */
export const appRoot = fileURLToPath(new URL("../../", import.meta.url));
export const shippedDatasetsDir = join(appRoot, "datasets");
export const compiledSrc = fileURLToPath(new URL("../src/", import.meta.url));

export interface TempDir {
  path: string;
  write(name: string, content: string): Promise<string>;
  remove(): Promise<void>;
}

/** A scratch datasets directory, optionally seeded with the shipped CSV files. */
export async function makeTempDir(options: { withShippedDatasets?: boolean } = {}): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), "dashboard-app-test-"));
  if (options.withShippedDatasets === true) await cp(shippedDatasetsDir, path, { recursive: true });
  return {
    path,
    async write(name, content) {
      const file = join(path, name);
      await writeFile(file, content);
      return file;
    },
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

/** Listens on a free port and returns the base URL. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first stdout match of `pattern`, rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<Exit>;
}

/** Starts a compiled entry point of the app (e.g. "server.js") with exactly `env` plus PATH. */
export function startNode(script: string, env: Record<string, string>): RunningProcess {
  const child = spawn(process.execPath, [join(compiledSrc, script)], {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  const exited = new Promise<Exit>((resolve) => child.once("close", (code, signal) => resolve({ code, signal })));
  function waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`timed out waiting for ${pattern}; output so far:\n${out}`)), timeoutMs);
      const check = (): void => {
        const match = out.match(pattern);
        if (match !== null) finish(() => resolve(match));
      };
      const onExit = (): void => fail(new Error(`process exited before printing ${pattern}; output:\n${out}`));
      function finish(then: () => void): void {
        clearTimeout(timer);
        child.stdout.off("data", check);
        child.stderr.off("data", check);
        child.off("close", onExit);
        then();
      }
      function fail(error: Error): void {
        finish(() => reject(error));
      }
      child.stdout.on("data", check);
      child.stderr.on("data", check);
      child.once("close", onExit);
      check();
    });
  }
  return { child, output: () => out, waitFor, exited };
}

/** Kills the process if it is still running and waits for it to be gone. */
export async function stop(proc: RunningProcess): Promise<void> {
  if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGKILL");
  await proc.exited;
}
