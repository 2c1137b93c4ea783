import path from "node:path";
import os from "node:os";
import { z } from "zod";
import { ErrorCode, PitstopError } from "../core/errors.js";

/**
 * pitstop's own configuration: one schema, parsed once at the entry point from flags and
 * environment (flags win). Nothing reads configuration at import time.
 */
export const ConfigSchema = z.object({
  /** Where the SQLite database, secrets.env, logs and lock live. */
  dataDir: z.string().min(1),
  /** `sqlite` (embedded default) or a postgres:// URL. */
  storeUrl: z.string().nullable(),
  /** `memory` (embedded default, durable through the store) or a redis:// URL. */
  busUrl: z.string().nullable(),
  maxParallel: z.number().int().min(1).max(256),
  leaseMs: z.number().int().min(300),
  /** Per job: output beyond this is counted, not kept. */
  outputLimitBytes: z.number().int().min(1024),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
});
export type Config = z.infer<typeof ConfigSchema>;

export interface ConfigInput {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  flags: { dataDir?: string; maxParallel?: string | number; leaseMs?: string | number };
}

function intFrom(v: string | number | undefined, field: string, source: string): number | undefined {
  if (v === undefined || v === "") return undefined;
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isInteger(n)) {
    throw new PitstopError(ErrorCode.USAGE, `${source}: ${field} must be a whole number, got ${JSON.stringify(v)}`);
  }
  return n;
}

export function loadConfig(input: ConfigInput): Config {
  const { env, flags } = input;
  const dataDir = flags.dataDir ?? env.PITSTOP_DATA_DIR ?? ".pitstop";
  const raw = {
    dataDir: path.resolve(input.cwd, dataDir),
    storeUrl: env.PITSTOP_STORE_URL || null,
    busUrl: env.PITSTOP_BUS_URL || null,
    maxParallel:
      intFrom(flags.maxParallel, "--max-parallel", "flag") ?? intFrom(env.PITSTOP_MAX_PARALLEL, "PITSTOP_MAX_PARALLEL", "environment") ?? Math.max(1, os.availableParallelism()),
    leaseMs: intFrom(flags.leaseMs, "--lease-ms", "flag") ?? intFrom(env.PITSTOP_LEASE_MS, "PITSTOP_LEASE_MS", "environment") ?? 30_000,
    outputLimitBytes: intFrom(env.PITSTOP_OUTPUT_LIMIT, "PITSTOP_OUTPUT_LIMIT", "environment") ?? 4 * 1024 * 1024,
    logLevel: env.PITSTOP_LOG_LEVEL ?? "info",
  };
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new PitstopError(ErrorCode.USAGE, `configuration: ${i.path.join(".")}: ${i.message}`, { details: { issues: parsed.error.issues } });
  }
  return parsed.data;
}
