import { readFile } from "node:fs/promises";

/** One data row, keyed by header name. `line` is the 1-based file line the record starts on. */
export interface CsvRow {
  line: number;
  values: Record<string, string>;
}

/** A problem in the file; the affected record is left out of `rows`. */
export interface CsvIssue {
  line: number;
  message: string;
}

export interface CsvTable {
  header: string[];
  rows: CsvRow[];
  issues: CsvIssue[];
}

interface RawRecord {
  line: number;
  fields: string[];
  error: string | null;
}

interface TokenizerState {
  records: RawRecord[];
  fields: string[];
  field: string;
  /** Line the current record started on. */
  startLine: number;
  line: number;
  error: string | null;
}

function endField(st: TokenizerState): void {
  st.fields.push(st.field);
  st.field = "";
}

function endRecord(st: TokenizerState): void {
  endField(st);
  // Whitespace-only lines count as blank: editors leave them behind and they carry no data.
  const blank = st.fields.length === 1 && st.fields[0]?.trim() === "" && st.error === null;
  if (!blank) st.records.push({ line: st.startLine, fields: st.fields, error: st.error });
  st.fields = [];
  st.error = null;
}

/** Length of the line break at `i` (1 or 2), or 0 when there is none. */
function newlineLength(text: string, i: number): number {
  if (text[i] === "\n") return 1;
  if (text[i] === "\r") return text[i + 1] === "\n" ? 2 : 1;
  return 0;
}

/**
 * Reads a quoted field starting at the opening quote `i`; returns the index just after the closing
 * quote, or -1 when the file ends inside the quotes.
 */
function readQuoted(text: string, i: number, st: TokenizerState): number {
  let j = i + 1;
  while (j < text.length) {
    const ch = text[j];
    if (ch === '"') {
      if (text[j + 1] === '"') {
        st.field += '"';
        j += 2;
        continue;
      }
      return j + 1;
    }
    const nl = newlineLength(text, j);
    if (nl > 0) st.line += 1;
    st.field += text.slice(j, j + Math.max(nl, 1));
    j += Math.max(nl, 1);
  }
  return -1;
}

/** RFC 4180 tokenizer that keeps going after a bad record so every problem gets a line number. */
function tokenize(text: string): RawRecord[] {
  const st: TokenizerState = { records: [], fields: [], field: "", startLine: 1, line: 1, error: null };
  let i = 0;
  let fieldStart = true;
  while (i < text.length) {
    const ch = text[i];
    const nl = newlineLength(text, i);
    if (nl > 0) {
      endRecord(st);
      st.line += 1;
      st.startLine = st.line;
      i += nl;
      fieldStart = true;
    } else if (ch === ",") {
      endField(st);
      i += 1;
      fieldStart = true;
    } else if (ch === '"' && fieldStart) {
      const next = readQuoted(text, i, st);
      if (next < 0) {
        st.error = `unterminated quoted field (opened on line ${st.startLine}); close it with a double quote`;
        i = text.length;
      } else {
        i = next;
        const after = text[i];
        if (after !== undefined && after !== "," && newlineLength(text, i) === 0) {
          st.error ??= `unexpected text after a closing quote; quote the whole field and double any inner quotes`;
        }
      }
      fieldStart = false;
    } else {
      if (ch === '"') st.error ??= `stray double quote inside an unquoted field; quote the field and write "" for a literal quote`;
      st.field += ch;
      i += 1;
      fieldStart = false;
    }
  }
  // A final record without a trailing newline still counts.
  if (!fieldStart || st.fields.length > 0 || st.error !== null) endRecord(st);
  return st.records;
}

function readHeader(record: RawRecord, issues: CsvIssue[]): string[] {
  const header = record.fields.map((name) => name.trim());
  if (record.error !== null) issues.push({ line: record.line, message: `header row: ${record.error}` });
  const seen = new Set<string>();
  header.forEach((name, index) => {
    if (name === "") issues.push({ line: record.line, message: `header row: column ${index + 1} has no name` });
    else if (seen.has(name)) issues.push({ line: record.line, message: `header row: duplicate column name '${name}'` });
    seen.add(name);
  });
  return header;
}

/**
 * Parses CSV text with a header row. Handles quoted fields (commas, line breaks and "" inside
 * quotes), CRLF line endings, a UTF-8 BOM and blank lines. Malformed records are reported in
 * `issues` with their line number instead of throwing, so one bad row does not hide the rest.
 */
export function parseCsv(text: string): CsvTable {
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const records = tokenize(source);
  const issues: CsvIssue[] = [];
  const first = records[0];
  if (first === undefined) {
    return { header: [], rows: [], issues: [{ line: 1, message: "file is empty: expected a header row" }] };
  }
  const header = readHeader(first, issues);
  const rows: CsvRow[] = [];
  for (const record of records.slice(1)) {
    if (record.error !== null) {
      issues.push({ line: record.line, message: record.error });
    } else if (record.fields.length !== header.length) {
      issues.push({
        line: record.line,
        message: `expected ${header.length} fields (as in the header), found ${record.fields.length}`,
      });
    } else {
      const values: Record<string, string> = {};
      header.forEach((name, index) => {
        values[name] = record.fields[index] ?? "";
      });
      rows.push({ line: record.line, values });
    }
  }
  return { header, rows, issues };
}

/** Reads and parses a CSV file (UTF-8). I/O errors propagate; content problems are `issues`. */
export async function loadCsvFile(path: string): Promise<CsvTable> {
  return parseCsv(await readFile(path, "utf8"));
}
