/** Failure classes drive retries and healing (DESIGN.md §5). */
export const FailureClass = {
  exit_nonzero: "exit_nonzero",
  test_failure: "test_failure",
  flaky_test: "flaky_test",
  timeout: "timeout",
  agent_lost: "agent_lost",
  oom: "oom",
  command_not_found: "command_not_found",
  infra: "infra",
  dependency: "dependency",
  compile: "compile",
  lint: "lint",
  security_finding: "security_finding",
  deploy_unhealthy: "deploy_unhealthy",
  no_agent: "no_agent",
  cancelled: "cancelled",
} as const;
export type FailureClass = (typeof FailureClass)[keyof typeof FailureClass];
export const FAILURE_CLASSES = Object.values(FailureClass) as readonly FailureClass[];

export function isFailureClass(s: string): s is FailureClass {
  return (FAILURE_CLASSES as readonly string[]).includes(s);
}

/** What an attempt left behind, from which a class is derived. */
export interface FailureEvidence {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  /** Set when the process could not be spawned at all (e.g. ENOENT for the shell or cwd). */
  spawnError: string | null;
  /** Last lines of output (already masked), newest last. */
  lastLines: string[];
  /** Failed test cases found in the job's reports, if any. */
  testsFailed: number;
  /** Set by the agent when it knows better than the generic evidence (lint findings, security gate…). */
  hint?: FailureClass;
}
