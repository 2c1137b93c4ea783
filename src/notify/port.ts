/**
 * Notifier port (DESIGN.md §3): tells people how a run went, over Slack incoming webhooks or a
 * generic JSON webhook. The report agent builds one {@link RunNotification} per run and hands it to
 * every configured notifier; adapters live in `notify/adapters/` and are picked by `app/`.
 */

/** The channels pitstop can notify. */
export type NotifierChannel = "slack" | "webhook";

/** Test counts, summed over a job's cases (or over the whole run). */
export interface RunTestCounts {
  total: number;
  passed: number;
  failed: number;
  errored: number;
  skipped: number;
}

/** One job of the run as the summary shows it. */
export interface RunSummaryJob {
  id: string;
  name: string;
  kind: string;
  /** The job's status when the report ran: succeeded, failed, skipped, cancelled, running… */
  status: string;
  attempts: number;
  failureClass: string | null;
  /** Why it failed or was skipped, as the orchestrator recorded it. */
  reason: string | null;
  durationMs: number | null;
  tests: RunTestCounts | null;
  /** The stage agent's one-line summary ("2 errors, 5 warnings (eslint)"), when it sent one. */
  summary: string | null;
}

/** A dependency advisory a security stage found: which package, which advisory, which fix. */
export interface RunVulnerability {
  /** Id of the job that reported it. */
  job: string;
  package: string;
  severity: string;
  title: string | null;
  /** Advisory URL (or id when the source gave no URL). */
  advisory: string | null;
  /** Vulnerable version range, e.g. `<1.2.6`. */
  range: string | null;
  /** What to do, e.g. `upgrade minimist to 1.2.6`; null when no fix is known. */
  fix: string | null;
}

/** A deployment a deploy stage made (or tried). */
export interface RunDeployment {
  job: string;
  environment: string | null;
  url: string | null;
  /** Whether the health check passed; null when the stage did not say. */
  healthy: boolean | null;
  responseTimeMs: number | null;
  release: string | null;
}

/**
 * The run summary: what `run-<number>.json` holds and what the generic webhook POSTs. Versioned by
 * `schema` so receivers can tell shapes apart when it grows.
 */
export interface RunSummary {
  schema: "pitstop.run-summary/v1";
  run: {
    id: string;
    number: number;
    pipelineFile: string;
    branch: string | null;
    commit: string | null;
    /** Epoch milliseconds. */
    startedAt: number | null;
    /** From the run's start to the moment the report was made. */
    durationMs: number | null;
  };
  /** failed when any other job failed or was cancelled, else succeeded. */
  outcome: "succeeded" | "failed";
  /** Epoch milliseconds at which the report was made. */
  generatedAt: number;
  /** Every job of the run except the report job itself, in plan order. */
  jobs: RunSummaryJob[];
  /** Summed over every job that reported tests; null when none did. */
  tests: RunTestCounts | null;
  vulnerabilities: RunVulnerability[];
  deployments: RunDeployment[];
}

/** What a notifier sends: the structured summary and the same summary rendered as Markdown. */
export interface RunNotification {
  summary: RunSummary;
  markdown: string;
}

/** How one delivery went. */
export interface NotificationResult {
  ok: boolean;
  /** HTTP status of the answer; null when no answer came (refused, timed out, DNS…). */
  status: number | null;
  /** Why it failed, for people (never contains the webhook URL, which is a credential for Slack). */
  error: string | null;
}

/**
 * Sends run notifications to one destination.
 *
 * Contract:
 * - `send` is called once per run by the report agent; it is not idempotent (each call is one
 *   delivery, the receiver may get duplicates if the caller retries).
 * - It never throws for delivery failures: an HTTP error status, a refused connection, a DNS
 *   failure or a timeout resolve to `{ ok: false, status, error }` with the reason. A notification
 *   that fails must never fail the pipeline.
 * - It gives up after the adapter's timeout (about 10 s by default) and when `signal` aborts,
 *   resolving to `ok: false` in both cases.
 */
export interface Notifier {
  readonly channel: NotifierChannel;
  send(message: RunNotification, signal?: AbortSignal): Promise<NotificationResult>;
}

/**
 * Where the report stage wants to notify, resolved from its `with` options and the job's
 * environment; the composition root turns it into adapters.
 */
export interface NotifyTargets {
  slack: { url: string } | null;
  webhook: { url: string; secret: string | null } | null;
  /** Per-delivery timeout. */
  timeoutMs: number;
}
