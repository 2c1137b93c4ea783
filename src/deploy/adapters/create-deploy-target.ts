import { stat } from "node:fs/promises";
import { ErrorCode, PitstopError } from "../../core/errors.js";
import { DEPLOY_ENVIRONMENTS, toDeployEnvironment, type DeployEnvironment, type DeployTarget, type DeployTargetSettings } from "../port.js";
import { createCommandDeployTarget } from "./command/command-target.js";
import { commandPaths } from "./command/command-state.js";
import { envPaths } from "./local/env-paths.js";
import { createLocalDeployTarget } from "./local/local-target.js";

export interface CreateDeployTargetInput {
  dataDir: string;
  environment: DeployEnvironment;
  settings: DeployTargetSettings;
  /** PATH and friends for the supervisor / user commands (the agent's environment). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The one place that picks a DeployTarget adapter for a kind. */
export function createDeployTarget(input: CreateDeployTargetInput): DeployTarget {
  const s = input.settings;
  const { dataDir, environment, env } = input;
  if (s.target === "command") {
    const c = s.commands ?? {};
    const commands = c.deploy && s.health?.command ? { ...c, deploy: c.deploy, health: s.health.command } : undefined;
    return createCommandDeployTarget({
      dataDir, environment, commands, cwd: s.cwd, url: s.url, timeoutMs: s.timeoutMs, autoRollback: s.autoRollback, env,
      health: { retries: s.health?.retries, intervalMs: s.health?.intervalMs },
    });
  }
  const h = s.health ?? {};
  const health = Object.fromEntries(Object.entries({ path: h.path, timeoutMs: h.timeoutMs, retries: h.retries, intervalMs: h.intervalMs }).filter(([, v]) => v !== undefined));
  return createLocalDeployTarget({ dataDir, environment, port: s.port, host: s.host, workers: s.workers, health, stopGraceMs: s.stopGraceMs, keepReleases: s.keepReleases, env });
}

/** The environment name a person typed, or a USAGE error listing the valid ones. */
export function parseEnvironment(name: string): DeployEnvironment {
  const env = toDeployEnvironment(name);
  if (env === null) throw new PitstopError(ErrorCode.USAGE, `unknown environment ${JSON.stringify(name)}: use one of ${DEPLOY_ENVIRONMENTS.join(", ")}`);
  return env;
}

/**
 * The target an environment was last deployed with, for people at the CLI (who do not repeat the
 * pipeline's settings): the command target when only it, or it most recently, kept state there.
 */
export async function openDeployTarget(input: { dataDir: string; environment: DeployEnvironment; env?: Readonly<Record<string, string | undefined>> }): Promise<DeployTarget> {
  const mtime = (file: string): Promise<number> => stat(file).then((s) => s.mtimeMs, () => -1);
  const local = await mtime(envPaths(input.dataDir, input.environment).state);
  const command = await mtime(commandPaths(input.dataDir, input.environment).state);
  const target = command > local ? "command" : "local";
  return createDeployTarget({ ...input, settings: { target } });
}
