/** Live agents as seen through their heartbeats on agent.results. */
export interface AgentInfo {
  agentId: string;
  kinds: string[];
  host: string;
  pid: number;
  lastSeen: number;
}

export interface AgentRegistry {
  seen(info: AgentInfo): void;
  stopped(agentId: string): void;
  /** Whether an agent serving `kind` was heard from within the TTL. */
  hasLiveAgent(kind: string, now: number): boolean;
  list(now: number): Array<AgentInfo & { live: boolean }>;
}

export function createAgentRegistry(ttlMs: number): AgentRegistry {
  const agents = new Map<string, AgentInfo>();
  const isLive = (a: AgentInfo, now: number) => now - a.lastSeen <= ttlMs;
  return {
    seen(info) {
      agents.set(info.agentId, info);
    },
    stopped(agentId) {
      agents.delete(agentId);
    },
    hasLiveAgent(kind, now) {
      for (const a of agents.values()) if (a.kinds.includes(kind) && isLive(a, now)) return true;
      return false;
    },
    list(now) {
      return [...agents.values()].map((a) => ({ ...a, live: isLive(a, now) }));
    },
  };
}
