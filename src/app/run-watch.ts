import { randomUUID } from "node:crypto";
import { readdir } from "node:fs/promises";
import { DEFAULT_DATA_QUALITY_RULES, rulesForFiles, type DataQualityRule } from "../core/healing/data-quality.js";
import type { Environment } from "../core/healing/environment.js";
import { isAboutDeployment, type HealEvent } from "../core/healing/heal-event.js";
import { UptimeState, type ProbeSample, type UptimeSummary } from "../core/healing/uptime.js";
import type { DeployTarget } from "../deploy/port.js";
import { createTargetWatch, type TargetWatch } from "../healing/detectors/create-target-watch.js";
import type { HealLoop } from "../healing/loop/create-heal-loop.js";
import type { HealOutcome, VerifySettings } from "../healing/loop/heal-types.js";
import { publishHealEvent, startHealer } from "../healing/loop/start-healer.js";
import type { App } from "./create-app.js";
import { sourceName } from "./heal-dispatch.js";
import { createHealLoopBeside } from "./heal-setup.js";

/** One deployed app to watch. */
export interface WatchedApp {
  environment: Environment;
  /** `<environment>/<app>`. */
  subject: string;
  target: DeployTarget;
  url: string;
  /** The datasets it serves; null = no data-quality check. */
  datasetsDir: string | null;
}

export interface WatchSettings {
  intervalMs: number;
  timeoutMs: number;
  latencyMs: number;
  quietMs: number;
  dataIntervalMs?: number;
  /** Memory bound per worker process; omitted = not checked. */
  rssBytes?: number;
  /** Requests in flight at the environment's front; omitted = not checked. */
  maxBacklog?: number;
  verify?: VerifySettings;
}

export interface WatchReport {
  apps: Array<{ environment: Environment; subject: string; url: string; uptime: UptimeSummary }>;
  incidents: Array<{ event: HealEvent; outcome: HealOutcome }>;
}

export interface WatchStop {
  /** Aborted: stop watching. */
  signal: AbortSignal;
  /** Aborted as well (Ctrl-C): also cut a heal in progress short instead of letting it finish. */
  cutShort?: AbortSignal;
}

export interface WatchLines {
  /** An app went UP or DOWN (the first probe counts as a change). */
  state(app: WatchedApp, sample: ProbeSample): void;
  detected(event: HealEvent): void;
  /** A detection dropped: a repeat within the quiet period, or seen while the loop acts there. */
  quiet(event: HealEvent, why: string): void;
  settled(event: HealEvent, outcome: HealOutcome): void;
  /** Something went wrong that people should know about (also in the log). */
  problem(text: string): void;
}

async function rulesFor(datasetsDir: string): Promise<DataQualityRule[]> {
  return rulesForFiles(DEFAULT_DATA_QUALITY_RULES, new Set(await readdir(datasetsDir).catch(() => [] as string[])));
}

/**
 * The healer beside the watch. While it acts on an environment (a restart, a rollback and their
 * verification), `busy` holds it: what the detectors see there meanwhile is the remediation's own
 * doing (a worker restarting, probes failing for a moment) and is not a new incident.
 */
function startWatchHealer(app: App, loop: HealLoop, environments: readonly Environment[], lines: WatchLines, source: string, rearm: (environment: Environment) => void) {
  const incidents: WatchReport["incidents"] = [];
  const busy = new Set<Environment>();
  // The pause ends: what the detectors saw during it is forgotten, so a condition that began then
  // and still holds is reported at the next checks instead of never.
  const resume = (environment: Environment): void => {
    if (busy.delete(environment)) rearm(environment);
  };
  const healer = startHealer({
    bus: app.bus,
    loop,
    incidents: app.store.healing,
    log: app.log,
    consumer: source,
    environments,
    onProblem: lines.problem,
    // Only remediations of the deployment make the detectors see their own doing (a job rerun does not).
    onHandling: (d) => void (isAboutDeployment(d.event.kind) && busy.add(d.event.environment)),
    onFailed: (d) => resume(d.event.environment),
    onOutcome: (detected, outcome) => {
      resume(detected.event.environment);
      incidents.push({ event: detected.event, outcome });
      lines.settled(detected.event, outcome);
    },
  });
  return { healer, incidents, busy };
}

function watchApp(app: App, a: WatchedApp, settings: WatchSettings, lines: WatchLines, rules: DataQualityRule[], emit: (event: HealEvent) => void): TargetWatch {
  let last: UptimeState | null = null;
  return createTargetWatch({
    environment: a.environment,
    subject: a.subject,
    target: a.target,
    url: a.url,
    intervalMs: settings.intervalMs,
    timeoutMs: settings.timeoutMs,
    latencyMs: settings.latencyMs,
    ...(settings.rssBytes === undefined ? {} : { rssBytes: settings.rssBytes }),
    ...(settings.maxBacklog === undefined ? {} : { maxBacklog: settings.maxBacklog }),
    quietMs: settings.quietMs,
    datasetsDir: a.datasetsDir,
    rules,
    ...(settings.dataIntervalMs === undefined ? {} : { dataIntervalMs: settings.dataIntervalMs }),
    thresholds: app.store.remedies,
    emit,
    onSample: (sample) => {
      const state = sample.up ? UptimeState.up : UptimeState.down;
      if (state !== last) lines.state(a, sample);
      last = state;
    },
    onQuiet: (e) => lines.quiet(e, "again within the quiet period: same incident"),
    onError: (err) => app.log.warn({ err, subject: a.subject }, "watch: a check failed"),
    now: app.now,
  });
}

/**
 * pitstop's long-running Monitor: every detector on every app given, each finding published on
 * `heal.events.<env>`, and a healer in this process that runs the loop on what it consumes (with
 * Redis, healers of other processes share the events). Runs until `stop.signal` aborts, then stops
 * the detectors, lets the healer finish the event in hand (or cuts it short on `stop.cutShort`),
 * and reports each app's uptime and every incident this healer settled.
 */
export async function runWatch(app: App, apps: readonly WatchedApp[], settings: WatchSettings, lines: WatchLines, stop: WatchStop): Promise<WatchReport> {
  const { signal } = stop;
  const targets: Partial<Record<Environment, DeployTarget>> = {};
  for (const a of apps) targets[a.environment] = a.target;
  const loop = await createHealLoopBeside(app, { targets, ...(settings.verify ? { verify: settings.verify } : {}) });
  const source = sourceName("watch");
  const watches: Array<{ app: WatchedApp; watch: TargetWatch }> = [];
  const rearm = (environment: Environment): void => {
    for (const w of watches) if (w.app.environment === environment) w.watch.rearm();
  };
  const { healer, incidents, busy } = startWatchHealer(app, loop, [...new Set(apps.map((a) => a.environment))], lines, source, rearm);
  const publish = (event: HealEvent): void => {
    if (busy.has(event.environment)) return lines.quiet(event, "while the loop acts there: part of that remediation");
    lines.detected(event);
    publishHealEvent(app.bus, { event, source, eventId: randomUUID() }).catch((err: unknown) => {
      app.log.error({ err, kind: event.kind }, "could not publish a heal event");
      lines.problem(`could not publish the ${event.kind} event on the bus: ${err instanceof Error ? err.message : String(err)}`);
    });
  };
  for (const a of apps) watches.push({ app: a, watch: watchApp(app, a, settings, lines, a.datasetsDir === null ? [] : await rulesFor(a.datasetsDir), publish) });
  for (const w of watches) w.watch.start();
  await new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await Promise.all(watches.map((w) => w.watch.stop()));
  // A planned end (--for) lets the heal in hand finish; a stop asked for (Ctrl-C) cuts it short.
  const cut = (): void => void healer.stop();
  if (stop.cutShort?.aborted) await healer.stop();
  else {
    stop.cutShort?.addEventListener("abort", cut, { once: true });
    await healer.drain();
    stop.cutShort?.removeEventListener("abort", cut);
  }
  return {
    apps: watches.map((w) => ({ environment: w.app.environment, subject: w.app.subject, url: w.app.url, uptime: w.watch.uptime() })),
    incidents,
  };
}
