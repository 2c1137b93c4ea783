import { readFile } from "node:fs/promises";
import path from "node:path";
import type { FailureClass } from "../../core/failure/failure-class.js";
import type { ExecOutcome } from "../../executor/port.js";
import { runCommand } from "../run-command.js";
import type { JobContext } from "../run-job.js";
import { locateLockfile } from "./locate-lockfile.js";
import { parseNpmAudit, type Vulnerability } from "./parse-npm-audit.js";
import { shellQuote } from "./shell-quote.js";

export type AuditResult =
  | { status: "ok"; vulnerabilities: Vulnerability[]; dependencies: number | null; lockfile: string; outcome: ExecOutcome }
  /** `problem`: the user should hear about it (a Node project without a lockfile), not just a non-npm project. */
  | { status: "skipped"; reason: string; problem: boolean }
  /** `unreachable`: the advisory service could not be asked (the `audit_unreachable` option decides). */
  | { status: "failed"; reason: string; hint: FailureClass | null; unreachable: boolean; outcome: ExecOutcome | null };

export interface AuditInput {
  cwd: string;
  /** Where advisories come from; null = the project's npm configuration. */
  registry: string | null;
  /** Leave devDependencies out (`--omit=dev`). */
  production: boolean;
  scratch: string;
  used: { bytes: number };
}

/**
 * Runs `npm audit --json` for the working directory. npm reads the lockfile (nothing needs to be
 * installed) and posts every package@version in it to `<registry>/-/npm/v1/security/advisories/bulk`;
 * in a workspace member it finds the root's lockfile itself and audits only that member's tree.
 * The registry goes in through the environment so a URL with credentials never reaches the log.
 */
export async function auditDependencies(ctx: JobContext, input: AuditInput): Promise<AuditResult> {
  const lock = await locateLockfile(input.cwd, ctx.workspace);
  if (lock.kind === "skip") return { status: "skipped", reason: lock.reason, problem: lock.problem };
  const output = path.join(input.scratch, "npm-audit.json");
  const env: Record<string, string> = { npm_config_update_notifier: "false", npm_config_fund: "false" };
  if (input.registry !== null) env.npm_config_registry = input.registry;
  ctx.logs.push("system", `auditing dependencies from ${path.relative(ctx.workspace, lock.lockfile) || lock.lockfile} against ${displayRegistry(input.registry)}`);
  // --audit-level=none: npm exits 0 whatever it finds, so a non-zero exit means npm itself failed;
  // the gate is ours (fail_on).
  const command = `npm audit --json --audit-level=none${input.production ? " --omit=dev" : ""} > ${shellQuote(output)}`;
  const r = await runCommand(ctx, command, { label: "npm audit", cwd: input.cwd, env, capture: true }, input.used);
  if (r.outcome.exitCode === 127 || r.outcome.spawnError !== null) {
    return { status: "failed", reason: "npm not found: install Node.js with npm on the agent, or set security.audit: false", hint: "command_not_found", unreachable: false, outcome: r.outcome };
  }
  if (r.outcome.timedOut || r.outcome.cancelled) {
    return { status: "failed", reason: r.outcome.cancelled ? "npm audit was cancelled" : "npm audit timed out", hint: null, unreachable: false, outcome: r.outcome };
  }
  const raw = await readFile(output, "utf8").then((t) => JSON.parse(t) as unknown, () => undefined);
  if (raw === undefined) {
    return { status: "failed", reason: `npm audit printed no JSON report (exit ${r.outcome.exitCode ?? "?"}): ${firstErrorLine(r.stderr)}`, hint: null, unreachable: false, outcome: r.outcome };
  }
  const parsed = parseNpmAudit(raw, await lockfileVersions(lock.lockfile));
  switch (parsed.kind) {
    case "report":
      return { status: "ok", vulnerabilities: parsed.vulnerabilities, dependencies: parsed.dependencies, lockfile: lock.lockfile, outcome: r.outcome };
    case "no-lockfile":
      return { status: "skipped", reason: `npm audit: ${parsed.message}: create the lockfile with \`npm install --package-lock-only\` (and commit it), or set security.audit: false`, problem: true };
    case "endpoint":
      return { status: "failed", reason: unreachableReason(ctx, input.registry, parsed.message, parsed.statusCode), hint: "infra", unreachable: true, outcome: r.outcome };
    case "other":
      return { status: "failed", reason: `npm audit failed: ${parsed.message}`, hint: null, unreachable: false, outcome: r.outcome };
  }
}

function unreachableReason(ctx: JobContext, registry: string | null, message: string, status: number | null): string {
  const where = displayRegistry(registry);
  const what = status === 404 || status === 405 || status === 501
    ? `${where} does not serve npm's bulk advisory endpoint (${message}): point security.registry at a registry that does`
    : `could not get advisories from ${where}: ${message}: check that the registry is up, or point security.registry at one that is`;
  const sandboxed = ctx.job.sandbox && !ctx.job.network ? " (the job runs sandboxed without network: set network: true)" : "";
  return `npm audit ${what}${sandboxed}; security.audit_unreachable: warn lets the stage pass without advisories`;
}

/** A registry URL for messages, without credentials. */
export function displayRegistry(registry: string | null): string {
  if (registry === null) return "the project's npm registry";
  try {
    const u = new URL(registry);
    if (u.username !== "" || u.password !== "") {
      u.username = "***";
      u.password = "";
    }
    return u.href;
  } catch {
    return "(invalid registry URL)";
  }
}

function firstErrorLine(stderr: readonly string[]): string {
  const line = stderr.find((l) => /npm (?:ERR!|error) /.test(l)) ?? stderr.find((l) => /\S/.test(l) && !/^npm warn /.test(l));
  return line === undefined ? "no error output" : line.trim().slice(0, 200);
}

/** Versions by node path (`node_modules/minimist`) from a v2/v3 lockfile's `packages`. */
async function lockfileVersions(lockfile: string): Promise<(nodePath: string) => string | null> {
  const raw = await readFile(lockfile, "utf8").then((t) => JSON.parse(t) as unknown, () => null);
  const packages = typeof raw === "object" && raw !== null ? (raw as { packages?: unknown }).packages : undefined;
  if (typeof packages !== "object" || packages === null) return () => null;
  const table = packages as Record<string, { version?: unknown } | undefined>;
  return (nodePath) => {
    const v = table[nodePath]?.version;
    return typeof v === "string" ? v : null;
  };
}
