import type { Logger } from "../core/logger.js";

/**
 * What every stage handler factory (`create<Kind>Handler(deps)`) receives from the composition
 * root besides its own kind-specific dependencies.
 */
export interface StageDeps {
  /** The pitstop data directory of this agent (artifact store, deploy state, SARIF copies…). */
  dataDir: string;
  log: Logger;
  now: () => number;
  /** The agent process's environment (for finding tools, never passed to jobs wholesale). */
  agentEnv: Readonly<Record<string, string | undefined>>;
}
