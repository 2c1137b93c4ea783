import { ErrorCode, PitstopError } from "../core/errors.js";
import { isAuditActor } from "../core/healing/audit-record.js";
import { ENVIRONMENTS, isEnvironment, type Environment } from "../core/healing/environment.js";
import type { DecisionRecord, Store } from "../store/port.js";
import type { CommandContext } from "./io.js";

/** Option parsing shared by the healing commands (decisions, feedback, quarantine, thresholds, run --heal, watch). */

export function environmentOption(flag: string, name: string): Environment {
  if (!isEnvironment(name)) throw new PitstopError(ErrorCode.USAGE, `${flag} ${JSON.stringify(name)}: use one of ${ENVIRONMENTS.join(", ")}`);
  return name;
}

export function limitOption(text: string): number {
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1) throw new PitstopError(ErrorCode.USAGE, `--limit must be a positive whole number, got ${text}`);
  return limit;
}

/**
 * Who a person is (`--by`, else the login name, else `unknown`), checked before anything is
 * written: it becomes the audit actor `user:<name>`, which the audit log would refuse after the
 * change was already stored.
 */
export function person(ctx: Pick<CommandContext, "io"> | { io: { env: CommandContext["io"]["env"] } }, by: string | undefined): string {
  const name = by ?? ctx.io.env.USER ?? "unknown";
  if (!isAuditActor(`user:${name}`)) throw new PitstopError(ErrorCode.USAGE, `--by ${JSON.stringify(name)}: give a name of 1 to 200 printable characters`);
  return name;
}

/** Shorter prefixes would match too much by accident; runs use the same floor. */
const MIN_PREFIX = 4;

/**
 * A decision by its id or an unambiguous prefix of at least 4 characters (tables show 8). Null
 * when nothing matches; an ambiguous prefix is a usage error listing the matches.
 */
export async function findDecision(store: Store, ref: string): Promise<DecisionRecord | null> {
  const exact = await store.healing.getDecision(ref);
  if (exact !== null || ref.length < MIN_PREFIX) return exact;
  const ids = await store.healing.findDecisionIds(ref, 6);
  if (ids.length > 1) {
    throw new PitstopError(ErrorCode.USAGE, `decision id prefix ${JSON.stringify(ref)} matches ${ids.length > 5 ? "more than 5" : ids.length} decisions (${ids.slice(0, 5).join(", ")}${ids.length > 5 ? ", …" : ""}): give more of the id`);
  }
  return ids[0] === undefined ? null : store.healing.getDecision(ids[0]);
}

export const decisionNotFound = (ref: string): PitstopError =>
  new PitstopError(ErrorCode.DECISION_NOT_FOUND, `no decision matches ${JSON.stringify(ref)}: use a decision id or a prefix of at least ${MIN_PREFIX} characters; \`pitstop decisions\` lists them`);
