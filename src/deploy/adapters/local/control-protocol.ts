import { z } from "zod";
import { HealthConfigSchema } from "./state-file.js";

/**
 * The supervisor's control API (HTTP on 127.0.0.1, bearer token from state.json). Mutating calls
 * answer NDJSON: `{"log": "..."}` lines while they work, then one `{"result": ...}` line. Closing
 * the request before the result cancels the operation (before traffic switched, nothing changes).
 */
export const CONTROL_VERSION = 1;

export const MAX_WORKERS = 32;

export const DeployRequestSchema = z.object({
  id: z.string(),
  start: z.string().min(1),
  env: z.record(z.string(), z.string()),
  health: HealthConfigSchema,
  workers: z.number().int().min(1).max(MAX_WORKERS),
});
export type DeployRequest = z.infer<typeof DeployRequestSchema>;

export const ScaleRequestSchema = z.object({ workers: z.number().int().min(1).max(MAX_WORKERS) });

/** One NDJSON line of a mutating call's answer. */
export type ControlLine = { log: string } | { result: unknown } | { error: string };

export const ControlPath = {
  status: "/status",
  health: "/health",
  deploy: "/deploy",
  rollback: "/rollback",
  restart: "/restart",
  scale: "/scale",
  stop: "/stop",
} as const;
