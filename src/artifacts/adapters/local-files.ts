import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import path from "node:path";
import { ErrorCode, PitstopError } from "../../core/errors.js";

/** File helpers of the local artifact store: hashing copies, containment checks, bounded parallelism. */

export interface Hashed {
  sha256: string;
  size: number;
}

/**
 * Streams `src` into a new file `dest` (which must not exist: `wx`) and returns the sha256 and size
 * of the bytes copied, so content is hashed exactly as it is written, never read twice.
 */
export async function copyHashing(src: string, dest: string, mode = 0o644): Promise<Hashed> {
  const hash = createHash("sha256");
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(src), tap, createWriteStream(dest, { flags: "wx", mode }));
  return { sha256: hash.digest("hex"), size };
}

/** True when `child` is `root` or below it (both absolute, already resolved). */
export function isInside(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel === "" || (!rel.startsWith(`..${path.sep}`) && rel !== ".." && !path.isAbsolute(rel));
}

export function errnoOf(e: unknown): string | undefined {
  return typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : undefined;
}

/** A filesystem failure the contract does not name: INTERNAL, with what was being done and where. */
export function fsFailure(what: string, file: string, e: unknown): PitstopError {
  const msg = e instanceof Error ? e.message : String(e);
  return new PitstopError(ErrorCode.INTERNAL, `artifact store: ${what} ${file} failed: ${msg}`, { cause: e, details: { file } });
}

/** Maps `items` through `fn` with at most `limit` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
