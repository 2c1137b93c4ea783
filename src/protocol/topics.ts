/** Bus topics (seed design + DESIGN.md §3). */
export const Topic = {
  pipelineEvents: "pipeline.events",
  results: "agent.results",
  control: "agent.control",
  deadLetter: "deadletter",
} as const;

/** Stage kinds with a topic `agent.<kind>`; `shell` runs a job's steps as written. */
export const STAGE_KINDS = ["shell", "lint", "test", "build", "security", "deploy", "report"] as const;
export type StageKind = (typeof STAGE_KINDS)[number];

export const agentTopic = (kind: string): string => `agent.${kind}`;

/**
 * `heal.detected` for one environment (the Monitor → Analyze hand-off): one topic per environment,
 * so a healer only takes events of the environments whose deploy targets it can act on.
 */
export const healTopic = (environment: string): string => `heal.events.${environment}`;

/** Consumer groups. */
export const Group = {
  orchestrator: "orchestrator",
  /** The heal loops: each heal event is handled by one of them. */
  healer: "healer",
  agents: (kind: string): string => `agents.${kind}`,
  /** Each agent reads agent.control in its own group, so every agent sees every cancel. */
  agentControl: (agentId: string): string => `control.${agentId}`,
} as const;
