import type { NotifierChannel, NotifyTargets } from "../../notify/port.js";
import type { ReportOptions } from "./report-options.js";

/** One delivery as the report stage records it in `stage.data.notifications`. */
export interface NotificationRecord {
  channel: NotifierChannel;
  ok: boolean;
  status: number | null;
  error: string | null;
}

export interface ResolvedTargets {
  targets: NotifyTargets;
  /** Deliveries that cannot be attempted (bad URL in the environment, missing signing secret). */
  refused: NotificationRecord[];
}

/** The env var the Slack URL is read from when `with.slack_webhook` is not set (job secrets land in the env). */
export const SLACK_WEBHOOK_ENV = "SLACK_WEBHOOK_URL";

const isHttpUrl = (s: string) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol);
const refuse = (channel: NotifierChannel, error: string): NotificationRecord => ({ channel, ok: false, status: null, error });

/**
 * Where to notify, from the options and the job's environment. Problems found here are recorded as
 * failed notifications rather than failing the stage: a notification never fails the pipeline.
 */
export function resolveNotifyTargets(o: ReportOptions, env: Readonly<Record<string, string>>): ResolvedTargets {
  const refused: NotificationRecord[] = [];
  let slack: NotifyTargets["slack"] = null;
  const fromEnv = env[SLACK_WEBHOOK_ENV]?.trim() ?? "";
  if (o.slackWebhook !== null) slack = { url: o.slackWebhook };
  else if (fromEnv !== "" && isHttpUrl(fromEnv)) slack = { url: fromEnv };
  else if (fromEnv !== "") refused.push(refuse("slack", `not sent: ${SLACK_WEBHOOK_ENV} is not an http(s) URL: set it to the incoming-webhook URL Slack gave you`));

  let webhook: NotifyTargets["webhook"] = null;
  if (o.webhook !== null) {
    const name = o.webhookSecretEnv;
    const secret = name === null ? null : (env[name] ?? "");
    if (name !== null && secret === "") {
      refused.push(refuse("webhook", `not sent: with.webhook_secret_env names ${name}, which is not set in the job's environment: add \`secrets: [${name}]\` to the job or set it in the agent's environment`));
    } else {
      webhook = { url: o.webhook, secret };
    }
  }
  return { targets: { slack, webhook, timeoutMs: o.timeoutMs }, refused };
}
