/**
 * The encodings under which a secret commonly leaks into logs (base64, URL, JSON), written by hand
 * because core/ is pure: no Buffer, no URLSearchParams.
 */

/** UTF-8 bytes of a string; a lone surrogate becomes U+FFFD, as TextEncoder does. */
export function utf8Bytes(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else cp = 0xfffd;
    } else if (cp >= 0xdc00 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return out;
}

const STANDARD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 with `=` padding. */
export function base64(bytes: readonly number[]): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] ?? 0;
    const b = bytes[i + 1] ?? 0;
    const c = bytes[i + 2] ?? 0;
    const n = (a << 16) | (b << 8) | c;
    out += STANDARD[(n >> 18) & 63];
    out += STANDARD[(n >> 12) & 63];
    out += i + 1 < bytes.length ? STANDARD[(n >> 6) & 63] : "=";
    out += i + 2 < bytes.length ? STANDARD[n & 63] : "=";
  }
  return out;
}

export function toUrlSafeBase64(b64: string): string {
  return b64.replace(/\+/g, "-").replace(/\//g, "_");
}

/**
 * The base64 characters that depend only on the value's bytes when the value starts at byte
 * offset `offset` (0, 1 or 2) of a longer blob. With k leading foreign bytes the first k+1
 * characters mix foreign bits (k > 0); at the end, a partial group's last character mixes in the
 * following unknown byte, and padding exists only when the value ends the blob.
 */
export function base64Core(bytes: readonly number[], offset: 0 | 1 | 2): string {
  const padded = [...new Array<number>(offset).fill(0), ...bytes];
  const unpadded = base64(padded).replace(/=+$/, "");
  const lead = offset === 0 ? 0 : offset + 1;
  const trail = padded.length % 3 === 0 ? 0 : 1;
  return unpadded.slice(lead, unpadded.length - trail);
}

function hex(code: number): string {
  return code.toString(16).toUpperCase().padStart(2, "0");
}

/** application/x-www-form-urlencoded as URLSearchParams writes it: only `*-._` and alphanumerics stay, space is `+`. */
export function formEncode(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()~]/g, (c) => `%${hex(c.charCodeAt(0))}`)
    .replace(/%20/g, "+");
}

/** JSON string contents with every non-ASCII character as \uXXXX, as Python's json.dumps writes by default. */
export function jsonAsciiEscape(s: string): string {
  return JSON.stringify(s)
    .slice(1, -1)
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
