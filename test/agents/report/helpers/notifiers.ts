import { createSlackNotifier } from "../../../../src/notify/adapters/slack.js";
import { createWebhookNotifier } from "../../../../src/notify/adapters/webhook.js";
import type { Notifier, NotifyTargets } from "../../../../src/notify/port.js";

/** The real adapters for the targets a report job asks for, as the composition root wires them. */
export function realNotifiers(t: NotifyTargets): Notifier[] {
  const out: Notifier[] = [];
  if (t.slack) out.push(createSlackNotifier({ url: t.slack.url, timeoutMs: t.timeoutMs }));
  if (t.webhook) out.push(createWebhookNotifier({ url: t.webhook.url, secret: t.webhook.secret, timeoutMs: t.timeoutMs }));
  return out;
}
