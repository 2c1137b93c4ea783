import { describe, expect, it } from "vitest";
import { createMasker, MASK, shortSecretNames } from "./mask.js";
import { base64, base64Core, utf8Bytes } from "./encodings.js";

// Tests may use Buffer: it is an independent reference for the hand-written encoders.
const b64 = (s: string | Uint8Array): string => Buffer.from(s).toString("base64");
const b64url = (s: string | Uint8Array): string => Buffer.from(s).toString("base64url");

const TOKEN = "ghp_R2d2C3poS3cr3tT0ken9xYz";

describe("encodings", () => {
  it.each(["", "a", "ab", "abc", "abcd", TOKEN, "pässwörd €", "emoji 🔑 key", "\u{10ffff}"])("utf8 + base64 agree with Buffer for %j", (s) => {
    expect(utf8Bytes(s)).toEqual([...Buffer.from(s, "utf8")]);
    expect(base64(utf8Bytes(s))).toBe(b64(s));
  });

  it("encodes a lone surrogate as U+FFFD like TextEncoder", () => {
    expect(utf8Bytes("a\ud800b")).toEqual([...new TextEncoder().encode("a\ud800b")]);
  });

  it("base64 core at every offset is found inside any blob that embeds the value", () => {
    const value = utf8Bytes(TOKEN);
    for (const offset of [0, 1, 2] as const) {
      const core = base64Core(value, offset);
      for (const suffix of [[], [0x00], [0xff, 0x10], [0x41, 0x42, 0x43]]) {
        const blob = Uint8Array.from([...[0x9a, 0x07, 0xee, 0x31, 0x55, 0x02].slice(0, 3 + offset), ...value, ...suffix]);
        expect(b64(blob)).toContain(core);
      }
    }
  });
});

describe("createMasker", () => {
  const mask = createMasker([TOKEN]);

  it("masks the value printed plain and inside a sentence", () => {
    expect(mask(TOKEN)).toBe(MASK);
    expect(mask(`Authorization: token ${TOKEN} sent to api`)).toBe("Authorization: token *** sent to api");
    expect(mask(`a${TOKEN}${TOKEN}b`)).toBe(`a${MASK}b`);
  });

  it("leaves text without secrets untouched", () => {
    expect(mask("npm ci && npm test")).toBe("npm ci && npm test");
    expect(createMasker([])("anything")).toBe("anything");
  });

  it("masks base64 of the value standalone and embedded at every byte offset", () => {
    expect(mask(`echo ${b64(TOKEN)} | base64 -d`)).toBe("echo *** | base64 -d");
    // A padded standalone encoding goes entirely, padding included.
    expect(createMasker(["secret1"])(`"${b64("secret1")}"`)).toBe(`"${MASK}"`);
    for (let p = 0; p < 6; p++) {
      const prefix = "user:".padEnd(p, "!").slice(0, p);
      const blob = b64(`${prefix}${TOKEN}@registry.local`);
      // Exactly the characters whose 6 bits all come from the token's bytes must be masked.
      const first = Math.ceil((8 * p) / 6);
      const end = Math.floor((8 * (p + TOKEN.length)) / 6);
      expect(mask(`auth=${blob}`)).toBe(`auth=${blob.slice(0, first)}${MASK}${blob.slice(end)}`);
    }
  });

  it("masks URL-safe base64 (JWT-style segments)", () => {
    const secret = "s3cr3t?>>?~~data";
    const m = createMasker([secret]);
    const jwtish = `eyJhbGciOiJIUzI1NiJ9.${b64url(`{"k":"${secret}"}`)}.sig`;
    expect(b64url(`{"k":"${secret}"}`)).toMatch(/[-_]/);
    expect(m(jwtish)).toContain(MASK);
    expect(Buffer.from(m(jwtish).split(".")[1] ?? "", "base64url").toString()).not.toContain(secret.slice(0, 8));
  });

  it("masks URL-encoded and form-encoded values", () => {
    const secret = "p@ss word/with:odd&chars!";
    const m = createMasker([secret]);
    expect(m(`https://u:${encodeURIComponent(secret)}@db.local/x`)).toBe("https://u:***@db.local/x");
    expect(m(`body: ${new URLSearchParams({ password: secret }).toString()}`)).toBe("body: password=***");
    expect(m(`q=${encodeURIComponent(secret).replace(/%20/g, "+")}`)).toBe("q=***");
    expect(m(`lower=${encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (x) => x.toLowerCase())}`)).toBe("lower=***");
  });

  it("masks the JSON-escaped form, also with \\u escapes for non-ASCII", () => {
    const secret = 'key"with\\quotes\tand ü';
    const m = createMasker([secret]);
    expect(m(JSON.stringify({ token: secret }))).toBe('{"token":"***"}');
    expect(m('{"token": "key\\"with\\\\quotes\\tand \\u00fc"}')).toBe('{"token": "***"}');
  });

  it("masks each line of a multi-line secret on its own", () => {
    const pem = "-----BEGIN KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASC\nAT8wggE7AgEAAkEAq7BFUpkGp3+LQmlQ\n-----END KEY-----";
    const m = createMasker([pem]);
    expect(m(pem)).toBe(MASK);
    expect(m("line 2 leaked: MIIBVQIBADANBgkqhkiG9w0BAQEFAASC")).toBe(`line 2 leaked: ${MASK}`);
    expect(m("AT8wggE7AgEAAkEAq7BFUpkGp3+LQmlQ")).toBe(MASK);
    // A CRLF copy still has each line masked; lines shorter than 3 chars are not patterns.
    expect(createMasker(["abc\r\nx\r\ndefg"])("x marks abc and defg")).toBe(`x marks ${MASK} and ${MASK}`);
  });

  it("treats regex metacharacters literally", () => {
    const secret = "a.b*c+(d)?[e]{2}^$|\\";
    const m = createMasker([secret]);
    expect(m(`x ${secret} y`)).toBe("x *** y");
    expect(m("aXbbbc+(d)?[e]{2}^$|\\")).toBe("aXbbbc+(d)?[e]{2}^$|\\");
  });

  it("masks overlapping and nested secrets completely", () => {
    const m = createMasker(["abcdef", "defghi"]);
    expect(m("xx abcdefghi yy")).toBe("xx *** yy");
    expect(m("defghi then abcdef")).toBe("*** then ***");
    const nested = createMasker(["password123", "word"]);
    expect(nested("my password123 and a word")).toBe("my *** and a ***");
    expect(createMasker(["aaa"])("aaaaa")).toBe(MASK);
  });

  it("does not mask values shorter than 3 characters, and names them for a warning", () => {
    expect(createMasker(["", "a", "ab"])("a b ab")).toBe("a b ab");
    expect(createMasker(["abc"])("xabcx")).toBe(`x${MASK}x`);
    expect(shortSecretNames({ TOKEN: TOKEN, PIN: "42", EMPTY: "", OK: "abc" })).toEqual(["EMPTY", "PIN"]);
  });
});
