/** Spellings of "no value" seen in exported spreadsheets; compared case-insensitively after trimming. */
const NULL_SPELLINGS = new Set(["", "na", "n/a", "null", "none", "nan", "-"]);

const NUMBER_PATTERN = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

const ISO_8601_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

export function isNullValue(raw: string): boolean {
  return NULL_SPELLINGS.has(raw.trim().toLowerCase());
}

/**
 * Strict number parsing: `Number()` alone would accept "", "0x1F" and "Infinity", which in a data
 * file are mistakes rather than numbers.
 */
export function parseNumber(raw: string): number | null {
  const text = raw.trim();
  if (!NUMBER_PATTERN.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

export function isIsoTimestamp(raw: string): boolean {
  const text = raw.trim();
  return ISO_8601_PATTERN.test(text) && !Number.isNaN(Date.parse(text));
}

/** Rounds for presentation; computations keep full precision. */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
