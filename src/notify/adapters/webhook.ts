import { createHmac, randomUUID } from "node:crypto";
import type { NotificationResult, Notifier, RunNotification } from "../port.js";
import { describeDeliveryError } from "./describe-delivery-error.js";

export interface WebhookNotifierOptions {
  url: string;
  /** When set, the body is signed: `X-Pitstop-Signature: sha256=<hex HMAC-SHA256 of the body>`. */
  secret?: string | null;
  timeoutMs?: number;
  /** Sent as `User-Agent`. */
  userAgent?: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * A Notifier that POSTs the run summary JSON to any URL, signed like GitHub's webhooks: the
 * receiver recomputes HMAC-SHA256 over the raw body with the shared secret and compares it (in
 * constant time) with `X-Pitstop-Signature`. `X-Pitstop-Delivery` is a fresh id per delivery so a
 * receiver can drop duplicates. Any 2xx is success; redirects are not followed (a POST that gets
 * redirected is a misconfigured URL, and following it would resend the body elsewhere).
 */
export function createWebhookNotifier(opts: WebhookNotifierOptions): Notifier {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const where = `webhook ${originOf(opts.url)}`;
  return {
    channel: "webhook",
    async send(message: RunNotification, signal?: AbortSignal): Promise<NotificationResult> {
      if (!URL.canParse(opts.url)) return { ok: false, status: null, error: "the webhook URL is not a valid URL" };
      const body = JSON.stringify(message.summary);
      const headers: Record<string, string> = {
        "Content-Type": "application/json",
        "User-Agent": opts.userAgent ?? "pitstop-webhook",
        "X-Pitstop-Event": "run.summary",
        "X-Pitstop-Delivery": randomUUID(),
      };
      if (opts.secret) headers["X-Pitstop-Signature"] = `sha256=${createHmac("sha256", opts.secret).update(body).digest("hex")}`;
      const timeout = AbortSignal.timeout(timeoutMs);
      try {
        const res = await fetch(opts.url, { method: "POST", headers, body, redirect: "manual", signal: signal ? AbortSignal.any([timeout, signal]) : timeout });
        const text = (await res.text()).trim().slice(0, 200);
        if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, error: null };
        return { ok: false, status: res.status, error: `${where} answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}${text ? `: ${text}` : ""}` };
      } catch (e) {
        return { ok: false, status: null, error: describeDeliveryError(e, where, timeoutMs, signal) };
      }
    },
  };
}

/** Only scheme, host and port: the path and query of a webhook URL often carry a token. */
function originOf(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : "(invalid URL)";
}
