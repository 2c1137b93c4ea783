import { fnv1a32Hex } from "./hash.js";
import type { LogSignature } from "./incident.js";

/**
 * A log signature: the last error lines with everything that changes from run to run replaced
 * by a placeholder, so the same failure on another commit, machine or day gets the same template
 * and hash. Budgets count retries per (target, signature), so a stable signature is what stops a
 * loop from retrying "the same" failure forever under ever-new timestamps.
 */

// Order matters: each pattern runs on the output of the previous ones, most specific first
// (a timestamp holds numbers, a path holds hex-looking names, a uuid is hex).
const REPLACEMENTS: ReadonlyArray<readonly [RegExp, string]> = [
  // ANSI colour codes carry no meaning and differ between a TTY and a log file.
  // eslint-disable-next-line no-control-regex -- matching the ESC control character is the point
  [/\u001b\[[0-9;]*[A-Za-z]/g, ""],
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g, "<ts>"],
  [/\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b/g, "<ts>"],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<uuid>"],
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]+/gi, "<url>"],
  // Absolute (POSIX or Windows) or relative paths with at least one separator, with an optional :line:col.
  [/(?:[A-Za-z]:)?(?:\.{0,2}[\\/])?(?:[\w.@~+-]+[\\/])+[\w.@~+-]+(?::\d+){0,2}/g, "<path>"],
  [/(?:^|(?<=[\s(=:]))[\\/][\w.@~+-]+(?::\d+){0,2}/g, "<path>"],
  [/\b0x[0-9a-f]+\b/gi, "<hex>"],
  // Hex words of 7+ characters with a digit and a letter: commit shas, object ids, hashes.
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b/gi, "<hex>"],
  [/\d+(?:\.\d+)?/g, "<n>"],
  [/\s+/g, " "],
];

export function normaliseLogLine(line: string): string {
  let out = line;
  for (const [pattern, replacement] of REPLACEMENTS) out = out.replace(pattern, replacement);
  return out.trim();
}

/** The default keeps the 5 last non-empty lines: enough for an error and its first frames. */
export function logSignature(lines: readonly string[], maxLines = 5): LogSignature {
  const normalised = lines.map(normaliseLogLine).filter((l) => l !== "");
  const template = normalised.slice(-maxLines).join("\n");
  return { template, hash: fnv1a32Hex(template) };
}
