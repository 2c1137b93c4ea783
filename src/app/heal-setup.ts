import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ErrorCode, PitstopError } from "../core/errors.js";
import { defaultPolicyFile } from "../core/healing/default-policy.js";
import { ENVIRONMENTS, type Environment } from "../core/healing/environment.js";
import type { PolicyFile } from "../core/healing/environment-policy.js";
import { loadPolicyFile } from "../core/healing/policy-file.js";
import type { Logger } from "../core/logger.js";
import { formatIssue } from "../core/pipeline/plan.js";
import { openDeployTarget } from "../deploy/adapters/create-deploy-target.js";
import type { DeployTarget } from "../deploy/port.js";
import { createAuditLog } from "../healing/audit/create-audit-log.js";
import { createHealLoop, type HealLoop } from "../healing/loop/create-heal-loop.js";
import type { PipelineControl, VerifySettings } from "../healing/loop/heal-types.js";
import type { Notifier } from "../notify/port.js";
import type { Store } from "../store/port.js";
import type { App } from "./create-app.js";
import { createPipelineControl } from "./pipeline-control.js";

/** Where the healing policy lives: beside the store, in the data directory. */
export function policyFilePath(dataDir: string): string {
  return path.join(dataDir, "policy.yml");
}

/**
 * The data directory's `policy.yml`, or the defaults when there is none. A file with problems is
 * an error naming every one as file:line:column: nothing heals under a policy nobody meant.
 */
export async function readPolicyFile(dataDir: string): Promise<PolicyFile> {
  const file = policyFilePath(dataDir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return defaultPolicyFile();
    throw new PitstopError(ErrorCode.POLICY_INVALID, `cannot read the healing policy ${file}: ${(e as Error).message}`, { cause: e });
  }
  const loaded = loadPolicyFile(text, { file });
  if (loaded.policy === null) {
    const list = loaded.issues.map((i) => `  ${formatIssue(i)}`).join("\n");
    throw new PitstopError(ErrorCode.POLICY_INVALID, `${loaded.issues.length} problem${loaded.issues.length === 1 ? "" : "s"} in the healing policy ${file}; nothing was healed:\n${list}`, { details: { file } });
  }
  return loaded.policy;
}

/** Verification as the loop runs it for people: several probes over a few seconds. */
export const DEFAULT_VERIFY: VerifySettings = { windowMs: 3000, probeIntervalMs: 250, minSamples: 5 };

export interface AppHealLoopInput {
  store: Store;
  dataDir: string;
  log: Logger;
  /** The engine for retry_job / rerun_failed_tests; null where none runs beside the loop. */
  pipelines: PipelineControl | null;
  notifiers?: Notifier[];
  /** The deploy targets; default: each environment's target as it was last deployed in the data dir. */
  targets?: Partial<Record<Environment, DeployTarget>>;
  verify?: VerifySettings;
  now?: () => number;
  agentEnv?: Readonly<Record<string, string | undefined>>;
}

/** A heal loop over the data directory's store, policy file and deploy targets. */
export async function createAppHealLoop(input: AppHealLoopInput): Promise<HealLoop> {
  const policyFile = await readPolicyFile(input.dataDir);
  const targets: Partial<Record<Environment, DeployTarget>> = input.targets ?? {};
  if (input.targets === undefined) {
    for (const env of ENVIRONMENTS) targets[env] = await openDeployTarget({ dataDir: input.dataDir, environment: env, env: input.agentEnv });
  }
  const now = input.now ?? Date.now;
  return createHealLoop({
    store: input.store,
    audit: createAuditLog({ store: input.store.audit, now }),
    policyFile,
    targets: (env) => targets[env] ?? null,
    notifiers: input.notifiers ?? [],
    now,
    newId: randomUUID,
    log: input.log,
    verify: input.verify ?? DEFAULT_VERIFY,
    pipelines: input.pipelines,
  });
}

/** A heal loop beside a running app: its store, log and clock, and its engine for job reruns. */
export function createHealLoopBeside(app: App, opts: Pick<AppHealLoopInput, "targets" | "verify" | "agentEnv"> = {}): Promise<HealLoop> {
  const pipelines = createPipelineControl({ store: app.store, bus: app.bus, orchestrator: app.orchestrator, now: app.now, newId: app.newId });
  return createAppHealLoop({ store: app.store, dataDir: app.config.dataDir, log: app.log, now: app.now, pipelines, ...opts });
}
