import { didYouMean } from "../pipeline/did-you-mean.js";
import { IncidentKind } from "./incident.js";
import { DEFAULT_LATENCY_MS } from "./uptime.js";

/**
 * Detector thresholds that `adjust_threshold` and `pitstop thresholds` may change: each with its
 * default and the bounds no change may leave, so a looser detector is still a detector. The values
 * themselves live in the store (remedies-port.ts `changeThreshold`), one row per change, which is
 * what makes every change recorded and reversible.
 *
 * A threshold is named by (detector, key). The detector is what the detector watches, as its
 * events name it (`DetectorEvent.target`, e.g. `stage/dashboard`); the key says which of its
 * thresholds. An incident's `detector.id` is that target (analyze.ts), so the key comes from the
 * incident's kind; an id written `<target>:<key>` names the key itself (see `thresholdTargetOf`).
 */

export const ThresholdKey = {
  latency_ms: "latency_ms",
  cpu_percent: "cpu_percent",
} as const;
export type ThresholdKey = (typeof ThresholdKey)[keyof typeof ThresholdKey];
export const THRESHOLD_KEYS = Object.values(ThresholdKey) as readonly ThresholdKey[];

/** How `adjust_threshold` raises a value: multiply it, or add to it. */
export type ThresholdStep = { times: number } | { plus: number };

export interface ThresholdSpec {
  key: ThresholdKey;
  /** The detector kind whose events the threshold gates (healing/detectors/detector-event.ts). */
  detectorKind: "latency" | "overload";
  /** Incidents whose detector breached this threshold: adjust_threshold raises it for them. */
  incidentKinds: readonly IncidentKind[];
  /** Where it is used, for people. */
  description: string;
  unit: "ms" | "%";
  /** What a detector uses when nothing is stored (the seed defaults). */
  default: number;
  min: number;
  max: number;
  step: ThresholdStep;
  /** Only whole numbers (raised values are rounded). */
  integer: boolean;
}

/**
 * Latency starts at the seeds' 24 s and grows by half each time (24 s → 36 s → 54 s → 81 s →
 * 120 s), so a few adjustments reach the ceiling: a response slower than two minutes is never
 * normal. CPU (100 = one core busy) grows 5 points at a time from the seeds' 90 up to a full core.
 */
export const THRESHOLDS: Readonly<Record<ThresholdKey, ThresholdSpec>> = {
  latency_ms: {
    key: "latency_ms",
    detectorKind: "latency",
    // A false alarm is a latency spike that cleared by itself: the bound was too tight.
    incidentKinds: [IncidentKind.latency, IncidentKind.false_alarm],
    description: "uptime monitor: a response slower than this is a latency breach",
    unit: "ms",
    default: DEFAULT_LATENCY_MS,
    min: 100,
    max: 120_000,
    step: { times: 1.5 },
    integer: true,
  },
  cpu_percent: {
    key: "cpu_percent",
    detectorKind: "overload",
    incidentKinds: [IncidentKind.overload],
    description: "overload watch: a worker busier than this (100 = one core) is overloaded",
    unit: "%",
    default: 90,
    min: 10,
    max: 100,
    step: { plus: 5 },
    integer: true,
  },
};

export function isThresholdKey(s: string): s is ThresholdKey {
  return Object.hasOwn(THRESHOLDS, s);
}

/** A key from outside (CLI, API): known, or unknown with a did-you-mean and the valid keys. */
export function parseThresholdKey(name: string): { ok: true; key: ThresholdKey } | { ok: false; message: string } {
  if (isThresholdKey(name)) return { ok: true, key: name };
  const close = didYouMean(name, THRESHOLD_KEYS);
  const valid = `valid: ${THRESHOLD_KEYS.map((k) => `\`${k}\``).join(", ")}`;
  return { ok: false, message: `unknown threshold \`${name}\` (${close === null ? valid : `did you mean \`${close}\`? ${valid}`})` };
}

/** "100..120000 ms": the bounds, as error messages name them. */
export function formatBounds(key: ThresholdKey): string {
  const s = THRESHOLDS[key];
  return `${s.min}..${s.max} ${s.unit}`;
}

/** Null when `value` may be stored for `key`; otherwise what is wrong with it, naming the bounds. */
export function checkThresholdValue(key: ThresholdKey, value: number): string | null {
  const s = THRESHOLDS[key];
  if (!Number.isFinite(value)) return `${key} must be a number within ${formatBounds(key)}, got ${String(value)}`;
  if (s.integer && !Number.isInteger(value)) return `${key} must be a whole number within ${formatBounds(key)}, got ${value}`;
  if (value < s.min || value > s.max) return `${key} ${value} is outside its bounds ${formatBounds(key)}`;
  return null;
}

/** The threshold an incident kind's detector breached (THRESHOLDS[*].incidentKinds), or null. */
export function thresholdKeyFor(kind: IncidentKind): ThresholdKey | null {
  return THRESHOLD_KEYS.find((key) => THRESHOLDS[key].incidentKinds.includes(kind)) ?? null;
}

/**
 * Which stored threshold an incident's detector id names. `<target>:<key>` (a known key after the
 * last colon) names both; anything else is the target, and the key comes from the incident kind.
 * A URL target (`http://host:8080`) stays whole: `8080` is not a key.
 */
export function thresholdTargetOf(detectorId: string, kind: IncidentKind): { detector: string; key: ThresholdKey } | null {
  const colon = detectorId.lastIndexOf(":");
  const suffix = colon > 0 ? detectorId.slice(colon + 1) : "";
  if (isThresholdKey(suffix)) return { detector: detectorId.slice(0, colon), key: suffix };
  const key = thresholdKeyFor(kind);
  return key === null ? null : { detector: detectorId, key };
}

export type NextThreshold = { ok: true; key: ThresholdKey; from: number; to: number; min: number; max: number } | { ok: false; reason: string };

/**
 * The raised value for `adjust_threshold`: one step up from the current value (null = the
 * default), clamped into the bounds. A value already at (or above) its max is refused: raising
 * it further would stop the detector from seeing anything.
 */
export function nextThreshold(key: ThresholdKey, current: number | null): NextThreshold {
  const s = THRESHOLDS[key];
  const from = current ?? s.default;
  if (from >= s.max) return { ok: false, reason: `${key} is already at its max ${s.max} ${s.unit} (${formatBounds(key)})` };
  const raised = "times" in s.step ? from * s.step.times : from + s.step.plus;
  const rounded = s.integer ? Math.round(raised) : raised;
  return { ok: true, key, from, to: Math.min(s.max, Math.max(s.min, rounded)), min: s.min, max: s.max };
}
