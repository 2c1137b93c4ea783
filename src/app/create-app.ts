import { randomBytes, randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import type { Logger } from "../core/logger.js";
import { createAgent, type Agent } from "../agents/create-agent.js";
import { createSecretSource } from "../agents/secret-source.js";
import type { Bus } from "../bus/port.js";
import { createMemoryBus } from "../bus/adapters/memory.js";
import { createRedisBus } from "../bus/adapters/redis.js";
import type { Executor } from "../executor/port.js";
import { createProcessExecutor } from "../executor/adapters/process.js";
import { createSandboxExecutor, isSandboxAvailable } from "../executor/adapters/sandbox.js";
import { createOrchestrator, type Orchestrator } from "../orchestrator/create-orchestrator.js";
import type { Store } from "../store/port.js";
import { createSqliteStore } from "../store/adapters/sqlite/create-sqlite-store.js";
import { createPostgresStore } from "../store/adapters/postgres/create-postgres-store.js";
import type { Config } from "../config/config.js";
import { ensureDataDir, isPidAlive, lockDataDir, type DataDirLock } from "./data-dir.js";
import { killOrphans, tagProcesses } from "./orphans.js";
import { createStageHandlers } from "./stage-handlers.js";

/** Opens the store the configuration names (SQLite in the data dir by default) and migrates it. */
export async function openStore(config: Config): Promise<Store> {
  if (config.storeUrl && /^postgres(ql)?:\/\//.test(config.storeUrl)) {
    const store = await createPostgresStore({ connectionString: config.storeUrl });
    await store.migrate();
    return store;
  }
  await ensureDataDir(config.dataDir);
  const store = await createSqliteStore({ file: path.join(config.dataDir, "pitstop.db") });
  await store.migrate();
  return store;
}

export function createLogger(config: Config, dest: "file" | "stderr" = "file"): Logger & { flush(): void } {
  if (dest === "stderr") return pino({ level: config.logLevel }, pino.destination(2));
  return pino({ level: config.logLevel }, pino.destination({ dest: path.join(config.dataDir, "pitstop.log"), mkdir: true, sync: false }));
}

export interface App {
  config: Config;
  store: Store;
  bus: Bus;
  orchestrator: Orchestrator;
  agents: Agent[];
  log: Logger & { flush(): void };
  now: () => number;
  newId: () => string;
  /** Starts the orchestrator (adopting orphaned runs) and the local agents. */
  start(): Promise<{ adopted: string[] }>;
  /** Stops agents, orchestrator, bus and store, in that order. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The embedded composition: orchestrator and a local agent in this process, on the configured
 * store and bus. With the memory bus the data directory is locked to this process.
 */
export interface AppOptions {
  /** Start a local agent in this process (embedded mode). */
  agents: boolean;
  /** The environment the local agent's jobs inherit their safe base from, and secrets. */
  agentEnv: Readonly<Record<string, string | undefined>>;
  /** Tests only: run steps with this executor instead of real processes. */
  executor?: Executor;
  /** Benchmarks only: a finer clock (fractional ms) so sub-millisecond overheads can be measured. */
  now?: () => number;
  /** Tests only: how long a job waits for an agent of its kind before failing with no_agent. */
  noAgentGraceMs?: number;
}

export async function createApp(config: Config, opts: AppOptions): Promise<App> {
  const instanceId = `o-${randomBytes(4).toString("hex")}`;
  await ensureDataDir(config.dataDir);
  const log = createLogger(config);
  const now = opts.now ?? (() => Date.now());
  let lock: DataDirLock | null = null;
  const cleanup: Array<() => Promise<void>> = [];
  try {
    if (!config.busUrl) {
      lock = await lockDataDir(config.dataDir, instanceId);
      cleanup.unshift(() => lock!.release());
      const killed = await killOrphans(config.dataDir, instanceId);
      if (killed > 0) log.warn({ killed }, "killed process groups left running by a pitstop that died");
    }
    const store = await openStore(config);
    cleanup.unshift(() => store.close());
    const bus = config.busUrl
      ? await createRedisBus({ url: config.busUrl, visibilityTimeoutMs: 30_000 })
      : await createMemoryBus({ visibilityTimeoutMs: 30_000, persistence: store.busMessages, now });
    cleanup.unshift(() => bus.close());
    const orchestrator = createOrchestrator({
      store,
      bus,
      log,
      instanceId,
      host: os.hostname(),
      pid: process.pid,
      now,
      newToken: () => randomBytes(12).toString("hex"),
      isPidAlive,
      options: {
        maxParallel: config.maxParallel,
        leaseMs: config.leaseMs,
        agentTtlMs: 15_000,
        noAgentGraceMs: opts.noAgentGraceMs ?? 2_000,
        tickMs: Math.min(250, Math.floor(config.leaseMs / 4)),
        heartbeatMs: 5_000,
      },
    });
    const agents = opts.agents ? [await createLocalAgent({ config, bus, log, now, instanceId, agentEnv: opts.agentEnv, executor: opts.executor })] : [];
    let stopped: Promise<void> | null = null;
    return {
      config,
      store,
      bus,
      orchestrator,
      agents,
      log,
      now,
      newId: () => randomUUID(),
      async start() {
        const r = await orchestrator.start();
        for (const a of agents) await a.start();
        return r;
      },
      stop() {
        stopped ??= (async () => {
          for (const a of agents) await a.stop();
          await orchestrator.stop();
          for (const c of cleanup) await c().catch(() => undefined);
          log.flush();
        })();
        return stopped;
      },
    };
  } catch (e) {
    for (const c of cleanup) await c().catch(() => undefined);
    throw e;
  }
}

async function createLocalAgent(o: {
  config: Config;
  bus: Bus;
  log: Logger;
  now: () => number;
  instanceId: string;
  agentEnv: Readonly<Record<string, string | undefined>>;
  executor: Executor | undefined;
}): Promise<Agent> {
  const sandboxOk = await isSandboxAvailable();
  const tag = (e: Executor) => tagProcesses(e, o.config.dataDir, o.instanceId);
  const sandbox: Executor | null = sandboxOk.ok ? tag(createSandboxExecutor()) : null;
  return createAgent({
    bus: o.bus,
    executor: tag(o.executor ?? createProcessExecutor()),
    sandbox,
    sandboxUnavailable: sandboxOk.ok ? null : sandboxOk.reason,
    secrets: createSecretSource({ env: o.agentEnv, file: path.join(o.config.dataDir, "secrets.env") }),
    log: o.log,
    now: o.now,
    agentId: `${o.instanceId}/local`,
    host: os.hostname(),
    pid: process.pid,
    agentEnv: o.agentEnv,
    handlers: createStageHandlers({ dataDir: o.config.dataDir, log: o.log, now: o.now, agentEnv: o.agentEnv }),
    options: { concurrency: o.config.maxParallel, heartbeatMs: 5_000, outputLimitBytes: o.config.outputLimitBytes },
  });
}
