/**
 * FNV-1a (32-bit) over the UTF-8 bytes of a string: tiny, pure and the same in every language, so
 * a log signature computed here matches one computed by another tool. Not cryptographic: it names
 * templates, it does not protect anything (the audit chain uses a real hash in the shell).
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  const add = (byte: number): void => {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  };
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x80) add(cp);
    else if (cp < 0x800) {
      add(0xc0 | (cp >> 6));
      add(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      add(0xe0 | (cp >> 12));
      add(0x80 | ((cp >> 6) & 0x3f));
      add(0x80 | (cp & 0x3f));
    } else {
      add(0xf0 | (cp >> 18));
      add(0x80 | ((cp >> 12) & 0x3f));
      add(0x80 | ((cp >> 6) & 0x3f));
      add(0x80 | (cp & 0x3f));
    }
  }
  return hash >>> 0;
}

/** 8 lowercase hex digits. */
export function fnv1a32Hex(text: string): string {
  return fnv1a32(text).toString(16).padStart(8, "0");
}
