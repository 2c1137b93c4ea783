import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError, type FetchFunction } from "@slack/webhook";
import type { NotificationResult, Notifier, RunNotification } from "../port.js";
import { buildSlackMessage } from "./slack-message.js";
import { describeDeliveryError } from "./describe-delivery-error.js";

export interface SlackNotifierOptions {
  /** The incoming-webhook URL (a credential: it is never put in errors or logs). */
  url: string;
  /** Per-delivery timeout; Slack answers in well under a second, so 10 s means it is not coming. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * A Notifier over a Slack incoming webhook, through the official `@slack/webhook` client, which
 * POSTs `{ text, blocks }` once (no retries: the report is sent once and a failure is recorded).
 */
export function createSlackNotifier(opts: SlackNotifierOptions): Notifier {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    channel: "slack",
    async send(message: RunNotification, signal?: AbortSignal): Promise<NotificationResult> {
      if (!URL.canParse(opts.url)) return { ok: false, status: null, error: "the Slack webhook URL is not a valid URL" };
      // The client only knows its own timeout signal; wrap fetch so cancelling the job cancels the delivery too.
      const fetchWithSignal: FetchFunction = (url, init) =>
        fetch(url, { ...init, signal: signal && init?.signal ? AbortSignal.any([init.signal, signal]) : (init?.signal ?? signal) });
      const hook = new IncomingWebhook(opts.url, { timeout: timeoutMs, fetch: fetchWithSignal, retryConfig: { retries: 0 } });
      try {
        await hook.send(buildSlackMessage(message.summary));
        return { ok: true, status: 200, error: null };
      } catch (e) {
        return failure(e, timeoutMs, signal);
      }
    },
  };
}

function failure(e: unknown, timeoutMs: number, signal?: AbortSignal): NotificationResult {
  if (e instanceof IncomingWebhookHTTPError) {
    const body = e.body.trim().slice(0, 200);
    return { ok: false, status: e.statusCode, error: `Slack webhook answered HTTP ${e.statusCode}${e.statusMessage ? ` ${e.statusMessage}` : ""}${body ? `: ${body}` : ""}` };
  }
  const original = e instanceof IncomingWebhookRequestError ? e.original : e;
  return { ok: false, status: null, error: describeDeliveryError(original, "the Slack webhook", timeoutMs, signal) };
}
