/** Durations in pipeline files and flags: `500ms`, `30s`, `10m`, `1h`, `7d`, compounds like `1h30m`, or a number of seconds. */

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
// Source only: a sticky RegExp carries lastIndex, so each call makes its own (no module state).
const PART_SOURCE = String.raw`(\d+(?:\.\d+)?)(ms|s|m|h|d)`;

export type DurationResult = { ok: true; ms: number } | { ok: false; message: string };

const FORMAT_HINT = "use a number of seconds or a string like `500ms`, `30s`, `10m`, `1h`, `1h30m`";

/** Parses a duration to whole milliseconds. Negative values are rejected; zero is allowed (callers that need > 0 check). */
export function parseDuration(value: string | number): DurationResult {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) return { ok: false, message: `invalid duration ${value}: ${FORMAT_HINT}` };
    return { ok: true, ms: Math.round(value * 1000) };
  }
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return parseDuration(Number(text));
  const part = new RegExp(PART_SOURCE, "y");
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    part.lastIndex = pos;
    const m = part.exec(text);
    if (m === null) return { ok: false, message: `invalid duration \`${value}\`: ${FORMAT_HINT}` };
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
    pos = part.lastIndex;
  }
  if (text.length === 0) return { ok: false, message: `empty duration: ${FORMAT_HINT}` };
  return { ok: true, ms: Math.round(total) };
}

/** Renders milliseconds the way a user would write them (for messages and docs). */
export function formatDuration(ms: number): string {
  if (ms % UNIT_MS.d === 0 && ms >= 2 * UNIT_MS.d) return `${ms / UNIT_MS.d}d`;
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
