import { base64, base64Core, formEncode, jsonAsciiEscape, toUrlSafeBase64, utf8Bytes } from "./encodings.js";

// The secrets file parser lives in its own file; re-exported so `core/secrets/mask.js` is the one
// import for agents that load and mask secrets.
export { parseSecretsEnv } from "./parse-secrets-env.js";
export type { ParsedSecretsEnv, SecretsEnvIssue } from "./parse-secrets-env.js";

/**
 * Masks secret values in log text before it is stored, streamed or shown, the way GitHub Actions
 * does: the value itself, each of its lines, and the encodings under which it commonly leaks
 * (base64 at any byte offset, URL, form and JSON escaping).
 */

export const MASK = "***";

/**
 * Values shorter than this are not masked: masking "1" or "ab" everywhere would shred every log
 * (GitHub skips very short values for the same reason). The caller warns about them, see
 * `shortSecretNames`.
 */
export const MIN_SECRET_LENGTH = 3;

/**
 * Derived base64 fragments shorter than this are skipped: a 3-character fragment carries under
 * 18 bits of the value and turns up by chance inside unrelated hashes and blobs.
 */
const MIN_BASE64_FRAGMENT = 4;

/** Names of secrets whose values are too short to be masked, so the caller can warn about them. */
export function shortSecretNames(secrets: Readonly<Record<string, string>>): string[] {
  return Object.entries(secrets)
    .filter(([, value]) => value.length < MIN_SECRET_LENGTH)
    .map(([name]) => name)
    .sort();
}

function textForms(value: string): string[] {
  const uri = encodeURIComponent(value);
  const json = JSON.stringify(value).slice(1, -1);
  return [
    value,
    uri,
    uri.replace(/%20/g, "+"),
    uri.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    formEncode(value),
    json,
    jsonAsciiEscape(value),
  ];
}

function base64Forms(value: string): string[] {
  const bytes = utf8Bytes(value);
  const out: string[] = [];
  const whole = base64(bytes);
  out.push(whole, toUrlSafeBase64(whole), toUrlSafeBase64(whole).replace(/=+$/, ""));
  for (const offset of [0, 1, 2] as const) {
    const core = base64Core(bytes, offset);
    if (core.length >= MIN_BASE64_FRAGMENT) out.push(core, toUrlSafeBase64(core));
  }
  return out;
}

/** Every string that must not appear in output for one secret value. */
function patternsFor(value: string): string[] {
  if (value.length < MIN_SECRET_LENGTH) return [];
  const lines = value.split(/\r?\n/).filter((l) => l.length >= MIN_SECRET_LENGTH);
  const sources = lines.length > 1 ? [value, ...lines] : [value];
  const out: string[] = [];
  for (const s of sources) out.push(...textForms(s), ...base64Forms(s));
  return out.filter((p) => p.length >= MIN_SECRET_LENGTH);
}

/** Start and end (exclusive) of every occurrence, overlapping ones included. */
function occurrences(text: string, pattern: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = text.indexOf(pattern); i !== -1; i = text.indexOf(pattern, i + 1)) out.push([i, i + pattern.length]);
  return out;
}

/**
 * Returns a function that replaces every occurrence of any secret (and its encodings) with `***`.
 *
 * Occurrences are collected as ranges and merged before replacing, so overlapping secrets
 * ("abcdef" and "defghi" in "abcdefghi") and adjacent ones leave nothing of either visible; a
 * left-to-right regex would mask the first and leak the rest of the second. Plain substring search
 * means regex metacharacters in values need no escaping. Text split across two calls is not
 * joined: callers mask whole lines.
 */
export function createMasker(secrets: readonly string[]): (text: string) => string {
  // Longest first keeps the list deterministic; correctness does not depend on the order because
  // every occurrence of every pattern is collected and the ranges are merged.
  const patterns = [...new Set(secrets.flatMap(patternsFor))].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  if (patterns.length === 0) return (text) => text;
  return (text) => {
    const ranges = patterns.flatMap((p) => (p.length > text.length ? [] : occurrences(text, p)));
    if (ranges.length === 0) return text;
    ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    let out = "";
    let cursor = 0;
    let [start, end] = ranges[0] as [number, number];
    for (const [s, e] of ranges.slice(1)) {
      if (s <= end) end = Math.max(end, e);
      else {
        out += text.slice(cursor, start) + MASK;
        cursor = end;
        [start, end] = [s, e];
      }
    }
    return out + text.slice(cursor, start) + MASK + text.slice(end);
  };
}
