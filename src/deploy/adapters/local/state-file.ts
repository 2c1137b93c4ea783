import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ErrorCode, PitstopError } from "../../../core/errors.js";
import { emptyHistory } from "../../release-history.js";
import { DEPLOY_ENVIRONMENTS, type DeployEnvironment } from "../../port.js";

export const HealthConfigSchema = z.object({
  path: z.string(),
  timeoutMs: z.number().int().positive(),
  retries: z.number().int().min(1),
  intervalMs: z.number().int().min(0),
});
export type HealthConfig = z.infer<typeof HealthConfigSchema>;

export const DEFAULT_HEALTH: HealthConfig = { path: "/health", timeoutMs: 2000, retries: 20, intervalMs: 500 };

export const WorkerRecordSchema = z.object({
  slot: z.number().int().min(0),
  pid: z.number().int(),
  port: z.number().int(),
  releaseId: z.string(),
  startedAt: z.number(),
  startTicks: z.number().nullable(),
  alive: z.boolean(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  exitedAt: z.number().nullable(),
});
export type WorkerRecord = z.infer<typeof WorkerRecordSchema>;

const ProcessRefSchema = z.object({ pid: z.number().int(), startTicks: z.number().nullable() });

export const SupervisorRecordSchema = z.object({
  pid: z.number().int(),
  startTicks: z.number().nullable(),
  startedAt: z.number(),
  controlPort: z.number().int(),
  /** Bearer token of the control API; state.json is mode 0600 for this reason. */
  token: z.string(),
});
export type SupervisorRecord = z.infer<typeof SupervisorRecordSchema>;

export const LocalStateSchema = z.object({
  version: z.literal(1),
  environment: z.enum(DEPLOY_ENVIRONMENTS),
  host: z.string(),
  /** The public port once bound (sticky: a restarted supervisor binds the same one). */
  port: z.number().int().nullable(),
  lifecycle: z.enum(["empty", "running", "stopped"]),
  desiredWorkers: z.number().int().min(1),
  history: z.object({
    releases: z.array(z.object({ id: z.string(), createdAt: z.number(), healthy: z.boolean(), error: z.string().nullable() })),
    served: z.array(z.string()),
  }),
  /** Workers serving the live release. */
  workers: z.array(WorkerRecordSchema),
  /** Processes being started or stopped: killed by the next supervisor if one crashed mid-way. */
  pending: z.array(ProcessRefSchema),
  supervisor: SupervisorRecordSchema.nullable(),
  updatedAt: z.number(),
});
export type LocalState = z.infer<typeof LocalStateSchema>;

export function initialState(environment: DeployEnvironment, host: string, now: number): LocalState {
  return {
    version: 1,
    environment,
    host,
    port: null,
    lifecycle: "empty",
    desiredWorkers: 1,
    history: emptyHistory(),
    workers: [],
    pending: [],
    supervisor: null,
    updatedAt: now,
  };
}

/** The state, or null when the environment was never used. A corrupt file is an error that says what to do. */
export async function readState(file: string): Promise<LocalState | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  const parsed = LocalStateSchema.safeParse(safeJson(text));
  if (!parsed.success) {
    throw new PitstopError(
      ErrorCode.INTERNAL,
      `deploy state ${file} is unreadable (${parsed.error.issues[0]?.message ?? "invalid JSON"}): stop the environment's processes and remove the file`,
      { details: { file } },
    );
  }
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Write-then-rename, so a reader never sees half a file; 0600 because it holds the control token. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/** What starting a release again needs (restart, scale, rollback, a new supervisor). */
export const ReleaseMetaSchema = z.object({
  id: z.string(),
  createdAt: z.number(),
  start: z.string(),
  env: z.record(z.string(), z.string()),
  health: HealthConfigSchema,
});
export type ReleaseMeta = z.infer<typeof ReleaseMetaSchema>;

export async function readReleaseMeta(file: string): Promise<ReleaseMeta | null> {
  const text = await readFile(file, "utf8").catch(() => null);
  if (text === null) return null;
  const parsed = ReleaseMetaSchema.safeParse(safeJson(text));
  return parsed.success ? parsed.data : null;
}
