import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { open } from "node:fs/promises";
import net from "node:net";
import type { DeployEnvironment } from "../../port.js";
import { groupExists, processStartTicks, signalGroup } from "./process-identity.js";
import type { WorkerRecord } from "./state-file.js";

export interface WorkerSpec {
  slot: number;
  releaseId: string;
  environment: DeployEnvironment;
  dir: string;
  start: string;
  env: Record<string, string>;
  host: string;
  port: number;
  logFile: string;
}

export interface Worker {
  /** Kept up to date as the process lives and exits (the supervisor persists it). */
  readonly record: WorkerRecord;
  readonly logFile: string;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
  /** SIGTERM to the worker's process group, SIGKILL after `graceMs`; resolves when the group is gone. */
  stop(graceMs: number): Promise<void>;
  /** Why the worker is no longer worth waiting for, or null while it runs. */
  goneReason(): string | null;
}

// Added by pitstop's executor to job processes so a restarted pitstop can kill leftovers; a
// deployed app must outlive pitstop, so it must not carry the tag (src/app/orphans.ts).
const STRIPPED_ENV = ["PITSTOP_PROC_TAG"];

/**
 * Starts one worker: `sh -c <start>` in the release directory, in its own process group (so
 * `npm start` → sh → node goes down together), output appended to its log file, listening on
 * `$PORT`. It is the supervisor's child: its exit is observed, never restarted automatically.
 */
export function startWorker(spec: WorkerSpec, now: () => number, onExit: (w: Worker) => void): Worker {
  const env: Record<string, string> = { ...spec.env };
  for (const k of STRIPPED_ENV) delete env[k];
  Object.assign(env, {
    PORT: String(spec.port),
    HOST: spec.host,
    RELEASE_ID: spec.releaseId,
    PITSTOP_RELEASE_ID: spec.releaseId,
    PITSTOP_ENVIRONMENT: spec.environment,
    PITSTOP_WORKER: String(spec.slot),
  });
  env.PATH ??= "/usr/local/bin:/usr/bin:/bin";
  const fd = openSync(spec.logFile, "a", 0o600);
  const child = spawn("/bin/sh", ["-c", spec.start], { cwd: spec.dir, env, detached: true, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const pid = child.pid ?? -1;
  const record: WorkerRecord = {
    slot: spec.slot,
    pid,
    port: spec.port,
    releaseId: spec.releaseId,
    startedAt: now(),
    startTicks: pid > 0 ? processStartTicks(pid) : null,
    alive: pid > 0,
    exitCode: null,
    signal: null,
    exitedAt: pid > 0 ? null : now(),
  };
  let spawnError: string | null = null;
  let resolveExited: () => void = () => undefined;
  const exited = new Promise<void>((r) => (resolveExited = r));
  let finished = pid <= 0;
  const finish = (code: number | null, sig: string | null): void => {
    if (finished) return;
    finished = true;
    Object.assign(record, { alive: false, exitCode: code, signal: sig, exitedAt: now() });
    resolveExited();
    onExit(worker);
  };
  child.on("error", (e) => {
    spawnError = e.message;
    finish(null, null);
  });
  child.on("exit", (code, sig) => finish(code, sig));
  if (pid <= 0) resolveExited();

  const worker: Worker = {
    record,
    logFile: spec.logFile,
    exited,
    goneReason() {
      if (record.alive) return null;
      if (spawnError !== null) return `could not start: ${spawnError}`;
      return record.signal !== null ? `exited on ${record.signal}` : `exited with code ${record.exitCode ?? "?"}`;
    },
    async stop(graceMs) {
      if (pid <= 0) return;
      signalGroup(pid, "SIGTERM");
      const termed = await Promise.race([exited.then(() => true), delay(graceMs).then(() => false)]);
      if (!termed) signalGroup(pid, "SIGKILL");
      await exited;
      // The leader is gone; a member that ignored SIGTERM (or was slow) must not hold the port.
      for (let waited = 0; groupExists(pid) && waited < graceMs; waited += 50) await delay(50);
      signalGroup(pid, "SIGKILL");
    },
  };
  return worker;
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on `host` (the kernel picks; the tiny race before the worker binds it is accepted). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The last `n` lines of a worker's log, to say why it never got healthy. */
export async function logTail(file: string, n: number): Promise<string[]> {
  const fh = await open(file, "r").catch(() => null);
  if (fh === null) return [];
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, 4096);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    return buf.toString("utf8").split("\n").map((l) => l.trimEnd()).filter((l) => l !== "").slice(-n);
  } finally {
    await fh.close();
  }
}
