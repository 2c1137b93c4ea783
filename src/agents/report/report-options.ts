import { z } from "zod";
import { parseDuration } from "../../core/pipeline/duration.js";
import { suggestionHint } from "../../core/pipeline/did-you-mean.js";

const isHttpUrl = (s: string) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol);
// Never echo the value: a Slack webhook URL is a credential even when it is mistyped.
const HttpUrl = z.string().refine(isHttpUrl, { error: "expected an http(s) URL such as https://hooks.slack.com/services/…" });

const ReportOptionsSchema = z.object({
  notify_on_success: z.boolean({ error: "expected true or false" }).default(false),
  /** Set on every short-form job; the report stage does not use it. */
  deploy_environment: z.string().optional(),
  slack_webhook: HttpUrl.nullable().default(null),
  webhook: HttpUrl.nullable().default(null),
  webhook_secret_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected the name of an environment variable, like WEBHOOK_SECRET" })
    .nullable()
    .default(null),
  notify_timeout: z.union([z.string(), z.number()], { error: "expected a duration like `10s` or a number of seconds" }).default("10s"),
});

export interface ReportOptions {
  notifyOnSuccess: boolean;
  slackWebhook: string | null;
  webhook: string | null;
  webhookSecretEnv: string | null;
  timeoutMs: number;
}

export type ParsedOptions = { ok: true; options: ReportOptions } | { ok: false; error: string };

const KNOWN = Object.keys(ReportOptionsSchema.shape);

/** Validates the report stage's `with` map; errors name the field and say what to do. */
export function parseReportOptions(raw: Record<string, unknown>): ParsedOptions {
  for (const key of Object.keys(raw)) {
    if (KNOWN.includes(key)) continue;
    const hint = suggestionHint(key, KNOWN.filter((k) => k !== "deploy_environment"));
    return { ok: false, error: `with.${key}: unknown option of the report stage${hint ? ` (${hint})` : ""}` };
  }
  const r = ReportOptionsSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    return { ok: false, error: `with.${issue.path.join(".")}: ${issue.message}` };
  }
  const o = r.data;
  const timeout = parseDuration(o.notify_timeout);
  if (!timeout.ok) return { ok: false, error: `with.notify_timeout: ${timeout.message}` };
  if (timeout.ms <= 0) return { ok: false, error: "with.notify_timeout: must be greater than 0" };
  if (o.webhook_secret_env !== null && o.webhook === null) {
    return { ok: false, error: "with.webhook_secret_env: only signs the generic webhook: set with.webhook to its URL, or remove webhook_secret_env" };
  }
  return {
    ok: true,
    options: { notifyOnSuccess: o.notify_on_success, slackWebhook: o.slack_webhook, webhook: o.webhook, webhookSecretEnv: o.webhook_secret_env, timeoutMs: timeout.ms },
  };
}
