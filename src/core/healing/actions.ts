import { didYouMean } from "../pipeline/did-you-mean.js";

/**
 * The remediation catalog: every action the healing loop can take. Order matters: it is the
 * last tie-break of every policy, so it runs from the least to the most disruptive, with the two
 * actions that change nothing (`noop`, `escalate`) at the end.
 */
export const HealAction = {
  retry_job: "retry_job",
  rerun_failed_tests: "rerun_failed_tests",
  quarantine_test: "quarantine_test",
  restart: "restart",
  scale_up: "scale_up",
  scale_down: "scale_down",
  rollback: "rollback",
  adjust_threshold: "adjust_threshold",
  noop: "noop",
  escalate: "escalate",
} as const;
export type HealAction = (typeof HealAction)[keyof typeof HealAction];
export const HEAL_ACTIONS = Object.values(HealAction) as readonly HealAction[];

/** What an action acts on; `null` for actions that touch nothing (noop, escalate). */
export const TargetType = { job: "job", deploy: "deploy", test: "test", detector: "detector" } as const;
export type TargetType = (typeof TargetType)[keyof typeof TargetType];

export interface ActionInfo {
  /** Needs a human approval (by someone other than the requester) in prod. */
  risky: boolean;
  /** Changes something: counts toward budgets, cooldowns, the circuit breaker and escalate_after. */
  remediation: boolean;
  target: TargetType | null;
  description: string;
}

/**
 * Risky = hard to take back or hides a problem rather than fixing it: a rollback reverts what
 * people shipped, scaling down removes capacity under load, a quarantined test stops guarding
 * its code, a looser threshold stops a detector from seeing. Retries, reruns, restarts and
 * scaling up are cheap to undo and lose nothing, so they run without approval everywhere.
 */
export const ACTION_INFO: Readonly<Record<HealAction, ActionInfo>> = {
  retry_job: { risky: false, remediation: true, target: "job", description: "run the failed job again (with backoff)" },
  rerun_failed_tests: { risky: false, remediation: true, target: "job", description: "rerun only the tests that failed" },
  quarantine_test: { risky: true, remediation: true, target: "test", description: "quarantine a flaky test (time-boxed, reversible)" },
  restart: { risky: false, remediation: true, target: "deploy", description: "restart the deployed app" },
  scale_up: { risky: false, remediation: true, target: "deploy", description: "add a worker to the deployed app" },
  scale_down: { risky: true, remediation: true, target: "deploy", description: "remove a worker from the deployed app" },
  rollback: { risky: true, remediation: true, target: "deploy", description: "roll back to the previous healthy release" },
  adjust_threshold: { risky: true, remediation: true, target: "detector", description: "adjust a detector threshold (bounded, reversible)" },
  noop: { risky: false, remediation: false, target: null, description: "do nothing (the safe default)" },
  escalate: { risky: false, remediation: false, target: null, description: "notify people through the report agent" },
};

export const RISKY_ACTIONS = HEAL_ACTIONS.filter((a) => ACTION_INFO[a].risky);

export function isHealAction(s: string): s is HealAction {
  return Object.hasOwn(ACTION_INFO, s);
}

/**
 * The seed design's globally blocked actions: recognised so that a request for one is refused
 * and audited as refused (UNSAFE_ACTION_REFUSED), never executable. They are deliberately not
 * in the catalog, so no policy can ever score or choose them. The first four are the names the
 * seeds' safety guard uses most; the rest are its full list.
 */
export const BLOCKED_ACTIONS = {
  delete_data: "destructive: deletes data",
  drop_database: "destructive: drops a database",
  run_shell: "arbitrary shell commands",
  change_security_settings: "changes security settings",
  delete_production_data: "destructive: deletes production data",
  delete_backups: "destructive: deletes backups",
  format_drives: "destructive: formats drives",
  remove_snapshots: "destructive: removes snapshots",
  execute_shell_commands: "arbitrary shell commands",
  modify_user_accounts: "changes user accounts",
  disable_authentication: "disables authentication",
  modify_permissions: "changes permissions",
  access_external_systems: "reaches external systems",
  modify_system_files: "changes system files",
  install_software: "installs software",
  modify_kernel: "changes the kernel",
  change_network_config: "changes the network configuration",
} as const;
export type BlockedAction = keyof typeof BLOCKED_ACTIONS;

export function isBlockedAction(s: string): s is BlockedAction {
  return Object.hasOwn(BLOCKED_ACTIONS, s);
}

export type ActionName =
  | { kind: "action"; action: HealAction }
  | { kind: "blocked"; name: BlockedAction; reason: string }
  | { kind: "unknown"; name: string; message: string; hint: string };

/** Valid names, for messages: "valid: `retry_job`, …". */
export function validActionsHint(word?: string): string {
  const close = word === undefined ? null : didYouMean(word, HEAL_ACTIONS);
  const list = `valid: ${HEAL_ACTIONS.map((a) => `\`${a}\``).join(", ")}`;
  return close === null ? list : `did you mean \`${close}\`? ${list}`;
}

/**
 * Classifies a name from anywhere outside the catalog (policy file, CLI, API, MCP): one of ours,
 * globally blocked, or unknown with a did-you-mean and the valid names.
 */
export function parseActionName(name: string): ActionName {
  if (isHealAction(name)) return { kind: "action", action: name };
  if (isBlockedAction(name)) return { kind: "blocked", name, reason: `globally blocked: ${BLOCKED_ACTIONS[name]}` };
  return { kind: "unknown", name, message: `unknown action \`${name}\``, hint: validActionsHint(name) };
}
