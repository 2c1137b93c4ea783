import type { PitstopError } from "../../../core/errors.js";

/**
 * Wraps every method of a store so that (1) a call after `close()` rejects with the error of
 * `checkOpen` instead of a driver message, and (2) driver errors reach callers as PitstopErrors
 * (STORE_UNAVAILABLE, DATA_DIR_UNWRITABLE…), as port.ts promises.
 */
export function guardMethods<T extends object>(
  target: T,
  translateError: (e: unknown) => PitstopError,
  checkOpen: () => void,
): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(target)) {
    if (typeof value !== "function") {
      out[key] = value;
      continue;
    }
    const method = value as (...args: unknown[]) => Promise<unknown>;
    out[key] = async (...args: unknown[]): Promise<unknown> => {
      checkOpen();
      try {
        return await method.apply(target, args);
      } catch (e) {
        throw translateError(e);
      }
    };
  }
  return out as T;
}
