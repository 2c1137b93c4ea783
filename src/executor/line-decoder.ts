import { isUtf8 } from "node:buffer";

/**
 * Turns a child's raw output bytes into lines, shared by every executor adapter.
 *
 * - Splits on "\n"; one "\r" right before it is dropped (CRLF output reads like LF output).
 * - Bytes are kept until their line ends, so a UTF-8 character split across two chunks survives.
 * - Valid UTF-8 is decoded; each byte that is not part of a valid sequence is written as `\xNN`
 *   (upper-case hex), so no byte is ever dropped. The escape is ambiguous only for output that
 *   itself prints a literal `\x` followed by two hex digits: a literal backslash is kept as is, not
 *   doubled, because doubling would garble every Windows path and regex in ordinary logs.
 * - A line longer than `maxLineBytes` (64 KiB) is delivered in pieces of at most that many bytes,
 *   cut before a character boundary when the bytes are valid UTF-8, so a single minified file
 *   printed without newlines cannot hold megabytes in memory.
 * - Every byte is counted against the shared {@link OutputBudget}: each line (or piece) is delivered
 *   only while it fits; from the first one that does not, everything is counted as truncated.
 */
export interface LineDecoder {
  write(chunk: Uint8Array): void;
  /** Delivers the final line when the output did not end with a newline. Idempotent. */
  end(): void;
}

/** Output bytes of one step, shared by its stdout and stderr decoders. */
export interface OutputBudget {
  readonly limitBytes: number;
  /** Bytes delivered, line terminators included. */
  deliveredBytes: number;
  /** Bytes counted but not delivered because the limit was reached. */
  truncatedBytes: number;
  /** Set once one line did not fit: nothing is delivered afterwards. */
  exhausted: boolean;
}

export interface LineDecoderOptions {
  budget: OutputBudget;
  onLine: (text: string) => void;
  /** Default 64 KiB. */
  maxLineBytes?: number;
}

const DEFAULT_MAX_LINE_BYTES = 64 * 1024;
const NEWLINE = 0x0a;
const CR = 0x0d;

export function createOutputBudget(limitBytes: number): OutputBudget {
  return { limitBytes: Math.max(0, limitBytes), deliveredBytes: 0, truncatedBytes: 0, exhausted: false };
}

export function createLineDecoder(options: LineDecoderOptions): LineDecoder {
  const { budget, onLine } = options;
  const maxLineBytes = Math.max(4, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let ended = false;

  // Whether pieces of the current line were already delivered (see drainLongLine).
  let lineWasCut = false;

  const offer = (content: Buffer, countedBytes: number): void => {
    if (!budget.exhausted && budget.deliveredBytes + countedBytes <= budget.limitBytes) {
      budget.deliveredBytes += countedBytes;
      // Only the "\r\n" of a line already delivered in pieces is left: count it, show nothing.
      if (content.length > 0 || !lineWasCut) onLine(decodeBytes(content));
      return;
    }
    budget.exhausted = true;
    budget.truncatedBytes += countedBytes;
  };

  const takePending = (): Buffer => {
    const all = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    return all;
  };

  // Emits full pieces while the unfinished line is longer than the cap; keeps at least one byte
  // back so a "\r" that ends a piece can still be paired with the "\n" of the next chunk.
  const drainLongLine = (): void => {
    if (pendingBytes <= maxLineBytes) return;
    let rest = takePending();
    while (rest.length > maxLineBytes) {
      const cut = pieceEnd(rest, maxLineBytes);
      offer(rest.subarray(0, cut), cut);
      lineWasCut = true;
      rest = rest.subarray(cut);
    }
    pending = [rest];
    pendingBytes = rest.length;
  };

  const finishLine = (terminatorBytes: number): void => {
    let line = takePending();
    let extra = terminatorBytes;
    if (terminatorBytes > 0 && line.length > 0 && line[line.length - 1] === CR) {
      line = line.subarray(0, line.length - 1);
      extra += 1;
    }
    offer(line, line.length + extra);
    lineWasCut = false;
  };

  return {
    write(chunk) {
      if (ended || chunk.length === 0) return;
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      if (budget.exhausted) {
        // Nothing more will be delivered: count instead of splitting and decoding.
        budget.truncatedBytes += bytes.length + pendingBytes;
        pending = [];
        pendingBytes = 0;
        return;
      }
      let start = 0;
      for (let nl = bytes.indexOf(NEWLINE, start); nl !== -1; nl = bytes.indexOf(NEWLINE, start)) {
        appendPending(bytes.subarray(start, nl));
        drainLongLine();
        finishLine(1);
        start = nl + 1;
      }
      if (start < bytes.length) appendPending(bytes.subarray(start));
      drainLongLine();
    },
    end() {
      if (ended) return;
      ended = true;
      if (pendingBytes > 0) finishLine(0);
    },
  };

  function appendPending(part: Buffer): void {
    if (part.length === 0) return;
    pending.push(part);
    pendingBytes += part.length;
  }
}

/** Where to cut a long line at most `max` bytes in: before a UTF-8 continuation byte if possible. */
function pieceEnd(bytes: Buffer, max: number): number {
  for (let cut = max; cut > max - 4; cut--) {
    const b = bytes[cut] as number;
    if ((b & 0xc0) !== 0x80) return cut;
  }
  return max; // not valid UTF-8 around here anyway: the bytes become \xNN escapes
}

/** Decodes UTF-8, writing each byte that is not part of a valid sequence as `\xNN`. */
export function decodeBytes(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString("utf8");
  let out = "";
  let runStart = 0;
  let i = 0;
  while (i < bytes.length) {
    const size = validSequenceLength(bytes, i);
    if (size > 0) {
      i += size;
      continue;
    }
    out += bytes.toString("utf8", runStart, i) + "\\x" + (bytes[i] as number).toString(16).toUpperCase().padStart(2, "0");
    i += 1;
    runStart = i;
  }
  return out + bytes.toString("utf8", runStart, i);
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 (RFC 3629 table 3-7 ranges). */
function validSequenceLength(bytes: Buffer, i: number): number {
  const b0 = bytes[i] as number;
  if (b0 < 0x80) return 1;
  const inRange = (k: number, lo: number, hi: number): boolean => {
    const b = bytes[i + k];
    return b !== undefined && b >= lo && b <= hi;
  };
  const tail = (from: number, count: number): boolean => {
    for (let k = from; k < from + count; k++) if (!inRange(k, 0x80, 0xbf)) return false;
    return true;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return tail(1, 1) ? 2 : 0;
  if (b0 === 0xe0) return inRange(1, 0xa0, 0xbf) && tail(2, 1) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) return tail(1, 2) ? 3 : 0;
  if (b0 === 0xed) return inRange(1, 0x80, 0x9f) && tail(2, 1) ? 3 : 0;
  if (b0 === 0xf0) return inRange(1, 0x90, 0xbf) && tail(2, 2) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return tail(1, 3) ? 4 : 0;
  if (b0 === 0xf4) return inRange(1, 0x80, 0x8f) && tail(2, 2) ? 4 : 0;
  return 0;
}
