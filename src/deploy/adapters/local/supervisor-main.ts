/**
 * Entry point of an environment's supervisor daemon (one per environment, started detached by the
 * local deploy target, see launch-supervisor.ts). It owns the environment's public port (the
 * proxy) and its workers, so the deployed app outlives the pitstop that deployed it.
 *
 * Like the CLI, it is a program's entry point, so it installs its own signal handlers.
 *
 * argv: --data-dir <dir> --environment <env> --host <host> --port <n> --grace-ms <n> --keep <n>
 * Tells its parent over IPC `{type: "ready", port, controlPort}` or `{type: "error", code, message}`.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rm } from "node:fs/promises";
import { parseArgs } from "node:util";
import { coerceError } from "../../../core/errors.js";
import { toDeployEnvironment } from "../../port.js";
import { createControlServer } from "./control-server.js";
import { envPaths, type EnvPaths } from "./env-paths.js";
import { isSameProcess, processStartTicks, signalGroup } from "./process-identity.js";
import { createProxy } from "./proxy.js";
import { initialState, readState, writeJsonAtomic, type LocalState } from "./state-file.js";
import { createSupervisor } from "./supervisor.js";

export type SupervisorMessage = { type: "ready"; port: number; controlPort: number; pid: number } | { type: "error"; code: "port_in_use" | "already_running" | "failed"; message: string; pid?: number };

const log = (line: string): void => void process.stdout.write(`${new Date().toISOString()} ${line}\n`);

function tell(msg: SupervisorMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(msg, () => {
      process.disconnect?.();
      resolve();
    });
  });
}

/** At most one supervisor per environment: a lock file naming the holder (taken over from a dead one). */
async function takeLock(paths: EnvPaths): Promise<{ ok: true } | { ok: false; pid: number }> {
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fh = await open(paths.lock, "wx", 0o600);
      await fh.writeFile(JSON.stringify({ pid: process.pid, startTicks: processStartTicks(process.pid) }));
      await fh.close();
      return { ok: true };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = await readFile(paths.lock, "utf8").then((t) => JSON.parse(t) as { pid?: number; startTicks?: number | null }).catch(() => ({}) as { pid?: number; startTicks?: number | null });
      if (typeof holder.pid === "number" && holder.pid !== process.pid && isSameProcess(holder.pid, holder.startTicks ?? null)) return { ok: false, pid: holder.pid };
      await rm(paths.lock, { force: true });
    }
  }
  return { ok: false, pid: -1 };
}

/** Workers of a supervisor that died are orphans without a proxy: stop them (healing decides on restarts). */
async function killLeftovers(state: LocalState): Promise<void> {
  const refs = [...state.workers, ...state.pending].filter((r) => isSameProcess(r.pid, r.startTicks));
  for (const r of refs) {
    log(`killing leftover worker process group ${r.pid}`);
    signalGroup(r.pid, "SIGKILL");
  }
  for (let waited = 0; refs.some((r) => isSameProcess(r.pid, r.startTicks)) && waited < 3000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  state.workers = [];
  state.pending = [];
}

/**
 * A predecessor killed a moment ago may still hold the port: its main thread shows as gone while
 * the rest of it is still closing its sockets. Give it a moment before calling the port taken.
 */
async function listenPatiently(listen: () => Promise<number>): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await listen();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= 15) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { "data-dir": { type: "string" }, environment: { type: "string" }, host: { type: "string" }, port: { type: "string" }, "grace-ms": { type: "string" }, keep: { type: "string" } },
  });
  const environment = toDeployEnvironment(values.environment ?? "");
  if (environment === null || !values["data-dir"]) throw new Error("usage: supervisor-main --data-dir <dir> --environment dev|stage|prod …");
  const host = values.host ?? "127.0.0.1";
  const paths = envPaths(values["data-dir"], environment);
  await mkdir(paths.releases, { recursive: true });
  const lock = await takeLock(paths);
  if (!lock.ok) {
    await tell({ type: "error", code: "already_running", pid: lock.pid, message: `a supervisor (pid ${lock.pid}) already runs environment ${environment}` });
    return;
  }
  const state = (await readState(paths.state)) ?? initialState(environment, host, Date.now());
  await killLeftovers(state);
  const proxy = createProxy({ host, environment, workerHost: "127.0.0.1" });
  const requested = Number(values.port ?? "0");
  try {
    state.port = await listenPatiently(() => proxy.listen(requested));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    await rm(paths.lock, { force: true });
    await tell({ type: "error", code: err.code === "EADDRINUSE" ? "port_in_use" : "failed", message: `cannot listen on ${host}:${requested}: ${err.message}` });
    process.exitCode = 1;
    return;
  }
  state.host = host;
  if (state.lifecycle === "stopped") state.lifecycle = "running";
  const token = randomBytes(24).toString("hex");
  const supervisor = createSupervisor({ paths, state, proxy, workerHost: "127.0.0.1", stopGraceMs: Number(values["grace-ms"] ?? "5000"), keepReleases: Number(values.keep ?? "5"), now: Date.now, log });
  let exiting = false;
  const exit = async (): Promise<void> => {
    if (exiting) return;
    exiting = true;
    await control.close();
    await rm(paths.lock, { force: true });
    log("supervisor exits");
    process.exit(0);
  };
  const control = createControlServer({ supervisor, token, onStopped: () => void exit() });
  const controlPort = await control.listen();
  state.supervisor = { pid: process.pid, startTicks: processStartTicks(process.pid), startedAt: Date.now(), controlPort, token };
  await writeJsonAtomic(paths.state, state);
  const onSignal = (sig: string): void => {
    log(`${sig} received: stopping workers`);
    void supervisor.stop().then(exit, exit);
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
  // The parent's IPC channel closing (pitstop exiting) must not end the supervisor.
  process.on("disconnect", () => undefined);
  log(`supervisor of ${environment} (pid ${process.pid}) serves ${host}:${state.port}, control on 127.0.0.1:${controlPort}`);
  await tell({ type: "ready", port: state.port, controlPort, pid: process.pid });
}

process.on("uncaughtException", (e) => {
  log(`uncaught: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});

main().catch(async (e: unknown) => {
  const message = coerceError(e).message;
  log(`supervisor failed to start: ${message}`);
  await tell({ type: "error", code: "failed", message });
  process.exitCode = 1;
});
