import { parseActionName, type HealAction } from "./actions.js";
import type { EnvironmentPolicy } from "./environment-policy.js";
import type { IncidentContext } from "./incident.js";
import { MaskCode, shield, type ShieldState } from "./shield.js";

/**
 * The last check before anything runs, for an action named from outside a policy (a person on
 * the CLI, the HTTP API, an MCP tool) and again by the executor for a policy's own pick: the
 * seeds' "no action executes without validation". A globally blocked or unknown name is refused
 * and flagged `unsafe` (audited as UNSAFE_ACTION_REFUSED); a masked catalog action is refused
 * with the shield's reason (ORCH_REFUSE).
 */
export type Screening =
  | { ok: true; action: HealAction; needsApproval: boolean }
  | { ok: false; name: string; code: MaskCode | "unknown"; reason: string; unsafe: boolean };

export function screenAction(name: string, incident: IncidentContext, policy: EnvironmentPolicy, state: ShieldState): Screening {
  const parsed = parseActionName(name);
  if (parsed.kind === "blocked") return { ok: false, name, code: MaskCode.globally_blocked, reason: parsed.reason, unsafe: true };
  // An unknown name is refused as unsafe too: nothing outside the catalog has a safe implementation.
  if (parsed.kind === "unknown") return { ok: false, name, code: "unknown", reason: `${parsed.message} (${parsed.hint})`, unsafe: true };
  const result = shield(incident, policy, state);
  const mask = result.masked.find((m) => m.action === parsed.action);
  if (mask) return { ok: false, name, code: mask.code, reason: mask.reason, unsafe: false };
  return { ok: true, action: parsed.action, needsApproval: result.needsApproval.includes(parsed.action) };
}
