/**
 * A small RFC 4180 CSV reader for the data-quality checks (core is pure: text in, rows out).
 * The example app has its own parser, but pitstop may not import an example, and none existed in
 * src/. Problems are data with line numbers, never throws: a broken dataset is a finding.
 */

/** One data record, keyed by header name; `line` is the 1-based file line the record starts on. */
export interface CsvRow {
  line: number;
  values: Record<string, string>;
}

export interface CsvProblem {
  line: number;
  message: string;
}

export interface CsvTable {
  header: string[];
  rows: CsvRow[];
  /** Malformed records (left out of `rows`) and header problems. */
  problems: CsvProblem[];
}

interface RawRecord {
  line: number;
  fields: string[];
  error: string | null;
}

/** Splits text into records; quoted fields may hold commas, "" and line breaks. */
function tokenize(text: string): RawRecord[] {
  const records: RawRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let start = 1;
  let error: string | null = null;
  let quoted = false;
  let afterQuote = false;
  const endRecord = (): void => {
    fields.push(field);
    const blank = fields.length === 1 && fields[0]?.trim() === "" && error === null;
    if (!blank) records.push({ line: start, fields, error });
    fields = [];
    field = "";
    error = null;
    afterQuote = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
        afterQuote = true;
      } else {
        if (ch === "\n") line++;
        field += ch;
      }
    } else if (ch === ",") {
      fields.push(field);
      field = "";
      afterQuote = false;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      endRecord();
      line++;
      start = line;
    } else if (ch === '"' && field === "" && !afterQuote) {
      quoted = true;
    } else {
      if (afterQuote) error ??= "text after a closing quote; quote the whole field";
      else if (ch === '"') error ??= 'stray double quote; quote the field and write "" for a literal quote';
      field += ch;
    }
  }
  if (quoted) error = `unterminated quoted field (opened on line ${start}); close it with a double quote`;
  if (field !== "" || fields.length > 0 || error !== null || afterQuote) endRecord();
  return records;
}

/**
 * Parses CSV text with a header row (CRLF or LF, optional UTF-8 BOM, blank lines skipped).
 * Records whose field count differs from the header are reported, not guessed at.
 */
export function parseCsv(text: string): CsvTable {
  const records = tokenize(text.startsWith("\uFEFF") ? text.slice(1) : text);
  const first = records[0];
  if (first === undefined) return { header: [], rows: [], problems: [] };
  const header = first.fields.map((name) => name.trim());
  const problems: CsvProblem[] = [];
  if (first.error !== null) problems.push({ line: first.line, message: `header row: ${first.error}` });
  const rows: CsvRow[] = [];
  for (const record of records.slice(1)) {
    if (record.error !== null) {
      problems.push({ line: record.line, message: record.error });
    } else if (record.fields.length !== header.length) {
      problems.push({ line: record.line, message: `expected ${header.length} fields (as in the header), found ${record.fields.length}` });
    } else {
      const values: Record<string, string> = {};
      header.forEach((name, index) => (values[name] = record.fields[index] ?? ""));
      rows.push({ line: record.line, values });
    }
  }
  return { header, rows, problems };
}
