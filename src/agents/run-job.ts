import { classifyFailure } from "../core/failure/classify.js";
import type { FailureEvidence } from "../core/failure/failure-class.js";
import { coerceError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { isFailingCase, type TestCase } from "../core/run/test-case.js";
import { createMasker, MIN_SECRET_LENGTH, shortSecretNames } from "../core/secrets/mask.js";
import { message, type Message, type StageReport } from "../protocol/messages.js";
import { Topic } from "../protocol/topics.js";
import type { Bus } from "../bus/port.js";
import type { Executor } from "../executor/port.js";
import { collectJUnit } from "./collect-reports.js";
import { createLogBatcher } from "./log-batcher.js";
import { baseEnv } from "./run-steps.js";
import type { SecretSource } from "./secret-source.js";

export type { JobContext, JobOutcome, KindHandler } from "./job-context.js";
import type { JobOutcome, KindHandler } from "./job-context.js";

export interface RunJobDeps {
  bus: Bus;
  executor: Executor;
  sandbox: Executor | null;
  sandboxUnavailable: string | null;
  secrets: SecretSource;
  log: Logger;
  now: () => number;
  agentId: string;
  agentEnv: Readonly<Record<string, string | undefined>>;
  outputLimitBytes: number;
}

/**
 * Runs one assignment end to end: claim it (job.started), keep the lease, run the kind's handler
 * with masked streaming output, ingest reports, classify a failure and report job.finished.
 * `ack` is called once the claim is published: from then on the lease, not the bus, guards the job.
 */
export async function runJob(
  deps: RunJobDeps,
  msg: Message<"job.assigned">,
  handler: KindHandler,
  ack: () => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const ref = { runId: msg.runId, jobId: msg.jobId, attempt: msg.attempt, token: msg.token };
  const started = deps.now();
  await deps.bus.publish(Topic.results, message("job.started", { ...ref, agentId: deps.agentId, at: started }));
  // The claim is out: the lease guards the job from here, so the ack need not hold up the work.
  const acked = ack().catch((e) => deps.log.warn({ err: coerceError(e), ...ref }, "ack of a started job failed; a redelivery will be ignored"));
  const lease = setInterval(
    () => void deps.bus.publish(Topic.results, message("lease.extend", { ...ref, agentId: deps.agentId, at: deps.now() })).catch(() => undefined),
    Math.max(50, Math.floor(msg.leaseMs / 3)),
  );
  const logs = createLogBatcher({
    now: deps.now,
    send: (seq, lines) => deps.bus.publish(Topic.results, message("job.log", { ...ref, seq, lines })).then(() => undefined),
  });
  let outcome: JobOutcome;
  let mask: (s: string) => string = (s) => s;
  const problems: string[] = [];
  try {
    const secrets = await deps.secrets.resolve(msg.job.secrets);
    mask = createMasker(Object.values(secrets.values));
    for (const name of shortSecretNames(secrets.values)) {
      logs.push("system", `warning: secret ${name} is shorter than ${MIN_SECRET_LENGTH} characters and is not masked`);
    }
    const executor = msg.job.sandbox ? deps.sandbox : deps.executor;
    if (executor === null) {
      outcome = noProcess(`job asks for \`sandbox: true\` but ${deps.sandboxUnavailable ?? "no sandbox is available"}: install bubblewrap (apt-get install bubblewrap) or remove \`sandbox: true\``);
    } else if (secrets.missing.length > 0) {
      const names = secrets.missing.join(", ");
      outcome = noProcess(`secret ${names} is not provided: set it in the agent's environment or in .pitstop/secrets.env`);
    } else {
      const env = { ...baseEnv(deps.agentEnv), ...msg.runEnv, ...msg.job.env, ...secrets.values };
      outcome = await handler({ job: msg.job, runId: msg.runId, attempt: msg.attempt, context: msg.context, workspace: msg.workspace, env, executor, logs, mask, signal, outputLimitBytes: deps.outputLimitBytes, now: deps.now, deadline: msg.job.timeoutMs === null ? null : deps.now() + msg.job.timeoutMs });
    }
  } catch (e) {
    const err = coerceError(e);
    deps.log.error({ err, ...ref }, "job handler failed");
    outcome = noProcess(`agent error: ${err.message}`);
  }
  if (outcome.setupError) logs.push("system", mask(outcome.setupError));
  let tests = outcome.tests ?? [];
  if (msg.job.reports.junit.length > 0 && !signal.aborted) {
    const r = await collectJUnit(msg.workspace, msg.job.reports.junit, mask).catch((e) => ({ cases: [] as TestCase[], problems: [`reports.junit: ${coerceError(e).message}`] }));
    tests = [...tests, ...r.cases];
    problems.push(...r.problems);
  }
  problems.push(...(outcome.problems ?? []));
  for (const p of problems) logs.push("system", `problem: ${mask(p)}`);
  if (outcome.truncatedBytes > 0) {
    logs.push("system", `output truncated: ${outcome.truncatedBytes} bytes beyond the ${deps.outputLimitBytes}-byte limit of a job were not kept`);
  }
  const evidence = evidenceOf(outcome, logs.tail(), tests, signal.aborted);
  const status = signal.aborted ? "cancelled" : outcome.ok ? "succeeded" : "failed";
  const failureClass = status === "succeeded" ? null : classifyFailure(evidence);
  // The lease must stop and the result must go out even when the last log batch cannot be sent:
  // otherwise the orchestrator keeps renewing a lease for a job that is over.
  await logs.stop().catch((e) => deps.log.warn({ err: coerceError(e), ...ref }, "could not send the last log lines"));
  clearInterval(lease);
  await acked;
  const finishedAt = deps.now();
  await deps.bus.publish(
    Topic.results,
    message("job.finished", {
      ...ref,
      agentId: deps.agentId,
      at: finishedAt,
      status,
      failureClass,
      evidence,
      durationMs: finishedAt - started,
      outputBytes: outcome.outputBytes,
      truncatedBytes: outcome.truncatedBytes,
      tests,
      problems: problems.map(mask),
      stage: outcome.stage ? maskReport(outcome.stage, mask) : null,
    }),
  );
}

/** Stage reports quote tool output (messages, titles): mask them like every other line. */
function maskReport(report: StageReport, mask: (s: string) => string): StageReport {
  return JSON.parse(JSON.stringify(report), (_k, v: unknown) => (typeof v === "string" ? mask(v) : v)) as StageReport;
}

function noProcess(reason: string): JobOutcome {
  return { ok: false, last: null, outputBytes: 0, truncatedBytes: 0, setupError: reason };
}

function evidenceOf(o: JobOutcome, lastLines: string[], tests: readonly TestCase[], cancelled: boolean): FailureEvidence {
  const last = o.last;
  const ev: FailureEvidence = {
    exitCode: last?.exitCode ?? null,
    signal: last?.signal ?? null,
    timedOut: last?.timedOut ?? false,
    cancelled: cancelled || (last?.cancelled ?? false),
    spawnError: last?.spawnError ?? null,
    lastLines: o.setupError ? [...lastLines, o.setupError] : lastLines,
    testsFailed: tests.filter(isFailingCase).length,
  };
  if (o.hint) ev.hint = o.hint;
  return ev;
}
