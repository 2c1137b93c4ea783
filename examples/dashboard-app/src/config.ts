import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface AppConfig {
  host: string;
  port: number;
  datasetsDir: string;
  release: string | null;
  /** PITSTOP_FAULTS=1: serve the /__faults hooks (loopback callers only). */
  faults: boolean;
  /** FAULT_UNHEALTHY=1: /health answers 503, an injected bad release. */
  unhealthy: boolean;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Compiled files live in dist/src/, two levels below the app root. */
export function defaultAppRoot(): string {
  return fileURLToPath(new URL("../../", import.meta.url));
}

function parsePort(raw: string): number {
  const port = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isInteger(port) || port > 65535) {
    throw new ConfigError(`PORT must be an integer from 0 to 65535 (0 picks a free port), got '${raw}'`);
  }
  return port;
}

/**
 * Reads the configuration from the environment. A relative DATASETS_DIR is resolved against `cwd`,
 * the default `datasets/` against the app root, so `npm start` works from any directory.
 */
export function loadConfig(env: NodeJS.ProcessEnv, cwd: string, appRoot: string = defaultAppRoot()): AppConfig {
  const dir = env["DATASETS_DIR"];
  const release = env["RELEASE_ID"];
  return {
    host: "127.0.0.1",
    port: parsePort(env["PORT"] ?? "3000"),
    datasetsDir: dir === undefined || dir === "" ? resolve(appRoot, "datasets") : isAbsolute(dir) ? dir : resolve(cwd, dir),
    release: release === undefined || release === "" ? null : release,
    faults: env["PITSTOP_FAULTS"] === "1",
    unhealthy: env["FAULT_UNHEALTHY"] === "1",
  };
}
