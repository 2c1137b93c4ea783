import { z } from "zod";
import { suggestionHint } from "../../core/pipeline/did-you-mean.js";
import { parseDuration } from "../../core/pipeline/duration.js";
import { DEPLOY_ENVIRONMENTS, toDeployEnvironment, type DeployEnvironment, type DeployTargetSettings } from "../../deploy/port.js";

const Duration = z.union([z.string(), z.number()]);
const Scalar = z.union([z.string(), z.number(), z.boolean()]);

const HealthObject = z.object({
  path: z.string().optional(),
  command: z.string().optional(),
  timeout: Duration.optional(),
  retries: z.number().int().min(1).max(1000).optional(),
  interval: Duration.optional(),
}).strict();

/** The deploy stage's `with` (pipeline file), before normalisation. */
const WithSchema = z.object({
  environment: z.string().optional(),
  /** Set on every job by the short form (`deploy_environment:`); `environment` wins. */
  deploy_environment: z.string().optional(),
  /** Set on every job by the short form; not the deploy stage's business. */
  notify_on_success: z.unknown().optional(),
  target: z.enum(["local", "command"]).optional(),
  dir: z.string().min(1).optional(),
  files: z.array(z.string().min(1)).min(1).optional(),
  start: z.string().min(1).optional(),
  env: z.record(z.string(), Scalar).optional(),
  workers: z.number().int().min(1).max(32).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  host: z.string().min(1).optional(),
  health: z.union([z.string().min(1), HealthObject]).optional(),
  keep_releases: z.number().int().min(1).max(100).optional(),
  stop_grace: Duration.optional(),
  deploy: z.string().min(1).optional(),
  rollback: z.string().min(1).optional(),
  restart: z.string().min(1).optional(),
  scale: z.string().min(1).optional(),
  stop: z.string().min(1).optional(),
  cwd: z.string().min(1).optional(),
  url: z.string().min(1).optional(),
  timeout: Duration.optional(),
  auto_rollback: z.boolean().optional(),
}).strict();
type WithInput = z.infer<typeof WithSchema>;

const KNOWN = Object.keys(WithSchema.shape);
const LOCAL_ONLY = ["start", "workers", "port", "host", "keep_releases", "stop_grace"] as const;
const COMMAND_ONLY = ["deploy", "rollback", "restart", "scale", "stop", "cwd", "url", "timeout", "auto_rollback"] as const;

export interface DeployOptions {
  environment: DeployEnvironment;
  settings: DeployTargetSettings;
  /** Relative to the job's working directory. */
  dir: string | null;
  files: string[] | undefined;
  /** Local target: the start command when given. */
  start: string | null;
  /** Added to the job's environment for the deployed processes. */
  env: Record<string, string>;
}

export type ParsedOptions = { ok: true; options: DeployOptions } | { ok: false; error: string };

/** Validates and normalises `with`; every error names the field and says what to do. */
export function parseDeployOptions(raw: Record<string, unknown>): ParsedOptions {
  const unknown = Object.keys(raw).find((k) => !KNOWN.includes(k));
  if (unknown !== undefined) {
    const hint = suggestionHint(unknown, KNOWN, 0);
    return { ok: false, error: `with.${unknown}: unknown deploy option${hint ? ` (${hint})` : ""}; see docs/stages/deploy.md` };
  }
  const parsed = WithSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "with";
    return { ok: false, error: `with.${where}: ${issue?.message ?? "invalid"}` };
  }
  const w = parsed.data;
  const envName = w.environment ?? w.deploy_environment ?? "dev";
  const environment = toDeployEnvironment(envName);
  if (environment === null) {
    const field = w.environment !== undefined ? "environment" : "deploy_environment";
    return { ok: false, error: `with.${field}: unknown environment ${JSON.stringify(envName)}: use one of ${DEPLOY_ENVIRONMENTS.join(", ")}` };
  }
  const target = w.target ?? "local";
  const misplaced = (target === "local" ? COMMAND_ONLY : LOCAL_ONLY).find((k) => w[k] !== undefined);
  if (misplaced !== undefined) return { ok: false, error: `with.${misplaced}: applies to target ${target === "local" ? "command" : "local"} only; this stage deploys with target ${target}` };
  const settings = target === "local" ? localSettings(w) : commandSettings(w);
  if ("error" in settings) return { ok: false, error: settings.error };
  const env = Object.fromEntries(Object.entries(w.env ?? {}).map(([k, v]) => [k, String(v)]));
  return { ok: true, options: { environment, settings, dir: w.dir ?? null, files: w.files, start: w.start ?? null, env } };
}

function ms(field: string, value: string | number | undefined): number | undefined | { error: string } {
  if (value === undefined) return undefined;
  const d = parseDuration(value);
  return d.ok ? d.ms : { error: `with.${field}: ${d.message}` };
}

function healthOf(w: WithInput, target: "local" | "command"): DeployTargetSettings["health"] | { error: string } {
  if (w.health === undefined) return undefined;
  const h = typeof w.health === "string" ? (target === "local" ? { path: w.health } : { command: w.health }) : w.health;
  if (target === "local" && h.command !== undefined) return { error: "with.health.command: applies to target command; for target local give health.path (an HTTP path such as /health)" };
  if (target === "command" && h.path !== undefined) return { error: "with.health.path: applies to target local; for target command give health.command (a shell command that exits 0 when healthy)" };
  if (h.path !== undefined && !h.path.startsWith("/")) return { error: `with.health.path: ${JSON.stringify(h.path)} must start with "/" (e.g. /health)` };
  const timeoutMs = ms("health.timeout", h.timeout);
  const intervalMs = ms("health.interval", h.interval);
  if (typeof timeoutMs === "object") return timeoutMs;
  if (typeof intervalMs === "object") return intervalMs;
  if (timeoutMs === 0) return { error: "with.health.timeout: must be more than 0 (e.g. 2s)" };
  return { path: h.path, command: h.command, timeoutMs, retries: h.retries, intervalMs };
}

function localSettings(w: WithInput): DeployTargetSettings | { error: string } {
  const health = healthOf(w, "local");
  if (health && "error" in health) return { error: health.error as string };
  const grace = ms("stop_grace", w.stop_grace);
  if (typeof grace === "object") return grace;
  return { target: "local", port: w.port, host: w.host, workers: w.workers, health, keepReleases: w.keep_releases, stopGraceMs: grace };
}

function commandSettings(w: WithInput): DeployTargetSettings | { error: string } {
  if (w.deploy === undefined) return { error: "with.deploy: target command needs a deploy command (e.g. `kubectl apply -f k8s/`); $PITSTOP_RELEASE_ID names the release" };
  const health = healthOf(w, "command");
  if (health && "error" in health) return { error: health.error as string };
  if (health?.command === undefined) return { error: "with.health: target command needs a health command that exits 0 when the release is healthy (e.g. `curl -fsS https://app/health`)" };
  const timeoutMs = ms("timeout", w.timeout);
  if (typeof timeoutMs === "object") return timeoutMs;
  const commands = { deploy: w.deploy, rollback: w.rollback, restart: w.restart, scale: w.scale, stop: w.stop };
  return { target: "command", health, commands, cwd: w.cwd, url: w.url, timeoutMs, autoRollback: w.auto_rollback };
}
