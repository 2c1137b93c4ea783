/**
 * Parses `.pitstop/secrets.env`, a dotenv-like file:
 *
 *   # comment
 *   NPM_TOKEN=abc123             unquoted: trimmed; ` #` starts a comment
 *   export DEPLOY_KEY=xyz        `export ` is allowed and ignored
 *   GREETING="hello\nworld"      double quotes: \n \r \t \\ \" are escapes; may span lines
 *   RAW='C:\path\n'              single quotes: literal; may span lines
 *
 * Problems are returned, never thrown, and never quote a value or an unparseable line: what the
 * user wrote in this file is presumed secret (a pasted token without `KEY=` is the common mistake).
 */

export interface SecretsEnvIssue {
  file: string;
  line: number;
  /** What is wrong and what to do, without the location (`file:line` are fields). */
  message: string;
}

export interface ParsedSecretsEnv {
  values: Record<string, string>;
  issues: SecretsEnvIssue[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ESCAPES: Readonly<Record<string, string>> = { n: "\n", r: "\r", t: "\t", "\\": "\\", '"': '"' };

interface Cursor {
  lines: readonly string[];
  index: number;
}

type ValueResult = { ok: true; value: string } | { ok: false; message: string };

function unescapeDouble(raw: string): string {
  return raw.replace(/\\(.)/gs, (m, c: string) => ESCAPES[c] ?? m);
}

/** Index of the closing quote in `s`, honouring backslash escapes for double quotes. */
function closingQuote(s: string, quote: string): number {
  for (let i = 0; i < s.length; i++) {
    if (quote === '"' && s[i] === "\\") i++;
    else if (s[i] === quote) return i;
  }
  return -1;
}

/** Reads a quoted value starting just after the opening quote; may consume following lines. */
function readQuoted(first: string, quote: string, cur: Cursor): ValueResult {
  let body = first;
  for (;;) {
    const end = closingQuote(body, quote);
    if (end !== -1) {
      const rest = body.slice(end + 1).trim();
      if (rest !== "" && !rest.startsWith("#")) {
        return { ok: false, message: `unexpected text after the closing ${quote}; put a # before a comment` };
      }
      const raw = body.slice(0, end);
      return { ok: true, value: quote === '"' ? unescapeDouble(raw) : raw };
    }
    const next = cur.lines[cur.index + 1];
    if (next === undefined) return { ok: false, message: `the ${quote} that opens the value is never closed` };
    cur.index++;
    body += `\n${next}`;
  }
}

function readValue(rawValue: string, cur: Cursor): ValueResult {
  const v = rawValue.trimStart();
  const quote = v[0];
  if (quote === '"' || quote === "'") return readQuoted(v.slice(1), quote, cur);
  // As in dotenv, `#` starts a comment only after whitespace, so `pa#ss` stays intact.
  const hash = v.search(/\s#/);
  return { ok: true, value: (hash === -1 ? v : v.slice(0, hash)).trim() };
}

interface State {
  file: string;
  values: Map<string, string>;
  /** Line on which each name was last defined. */
  seen: Map<string, number>;
  issues: SecretsEnvIssue[];
}

function parseLine(text: string, cur: Cursor, st: State): void {
  const lineNo = cur.index + 1;
  const body = text.trim().replace(/^export\s+/, "");
  const eq = body.indexOf("=");
  if (eq === -1) {
    st.issues.push({ file: st.file, line: lineNo, message: `expected NAME=value (the line is not shown: it may hold a secret)` });
    return;
  }
  const name = body.slice(0, eq).trim();
  if (!NAME.test(name)) {
    st.issues.push({
      file: st.file,
      line: lineNo,
      message: `invalid secret name before "=": use letters, digits and _, not starting with a digit (e.g. NPM_TOKEN)`,
    });
    return;
  }
  const start = text.indexOf("=") + 1;
  const value = readValue(text.slice(start), cur);
  if (!value.ok) {
    st.issues.push({ file: st.file, line: lineNo, message: value.message });
    return;
  }
  const earlier = st.seen.get(name);
  if (earlier !== undefined) {
    st.issues.push({ file: st.file, line: lineNo, message: `${name} is already defined on line ${earlier}; this later value is used` });
  }
  st.seen.set(name, lineNo);
  st.values.set(name, value.value);
}

export function parseSecretsEnv(text: string, file: string): ParsedSecretsEnv {
  const st: State = { file, values: new Map(), seen: new Map(), issues: [] };
  const cur: Cursor = { lines: text.replace(/^\uFEFF/, "").split(/\r?\n/), index: 0 };
  for (; cur.index < cur.lines.length; cur.index++) {
    const line = cur.lines[cur.index] ?? "";
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    parseLine(line, cur, st);
  }
  // fromEntries defines own properties, so a secret named __proto__ cannot touch the prototype.
  return { values: Object.fromEntries(st.values), issues: st.issues };
}
