import { ErrorCode, PitstopError, coerceError } from "../core/errors.js";

/**
 * JSON text of a payload about to be published. Both adapters store text, so what a consumer
 * receives is always the JSON round trip of what was published (Dates become strings,
 * `undefined` fields vanish), never a shared mutable object.
 */
export function serialisePayload(topic: string, payload: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(payload);
  } catch (e) {
    const cause = coerceError(e);
    throw invalid(topic, `is not JSON-serialisable (${cause.message})`, e);
  }
  // JSON.stringify returns undefined for undefined, functions and symbols.
  if (text === undefined) throw invalid(topic, `is ${typeof payload}, which JSON cannot represent`);
  return text;
}

function invalid(topic: string, what: string, cause?: unknown): PitstopError {
  return new PitstopError(
    ErrorCode.MESSAGE_INVALID,
    `cannot publish to topic "${topic}": the payload ${what}; ` +
      "publish plain objects, arrays, strings, finite numbers, booleans or null",
    { cause, details: { topic } },
  );
}

/** The published value again; text that is not JSON (written by another tool) is passed on as is. */
export function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
