import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { loadCsvFile, parseCsv } from "../src/csv.js";
import { makeTempDir } from "./helpers.js";

describe("parseCsv", () => {
  it("reads a header and rows keyed by column name, with file line numbers", () => {
    const table = parseCsv("name,score\nAda,91\nGrace,88\n");
    assert.deepEqual(table.header, ["name", "score"]);
    assert.deepEqual(table.rows, [
      { line: 2, values: { name: "Ada", score: "91" } },
      { line: 3, values: { name: "Grace", score: "88" } },
    ]);
    assert.deepEqual(table.issues, []);
  });

  it("keeps commas, doubled quotes and line breaks inside quoted fields", () => {
    const text = 'name,note\n"Okafor, Chidi","said ""hi"""\n"multi\nline",x\nlast,"y"\n';
    const table = parseCsv(text);
    assert.deepEqual(table.issues, []);
    assert.deepEqual(
      table.rows.map((r) => [r.line, r.values["name"], r.values["note"]]),
      [
        [2, "Okafor, Chidi", 'said "hi"'],
        [3, "multi\nline", "x"],
        // The quoted line break moved this record down a line.
        [5, "last", "y"],
      ],
    );
  });

  it("handles CRLF line endings, a BOM, blank lines and a missing final newline", () => {
    const table = parseCsv("\uFEFFa,b\r\n1,2\r\n\r\n   \n3,4");
    assert.deepEqual(table.header, ["a", "b"]);
    assert.deepEqual(
      table.rows.map((r) => [r.line, r.values["a"], r.values["b"]]),
      [
        [2, "1", "2"],
        [5, "3", "4"],
      ],
    );
    assert.deepEqual(table.issues, []);
  });

  it("keeps empty fields, including a trailing one", () => {
    const table = parseCsv("a,b,c\n1,,\n");
    assert.deepEqual(table.rows[0]?.values, { a: "1", b: "", c: "" });
    assert.deepEqual(table.issues, []);
  });

  it("reports rows with the wrong number of fields by line and keeps the good rows", () => {
    const table = parseCsv("a,b\n1,2\n3\n4,5,6\n7,8\n");
    assert.deepEqual(
      table.rows.map((r) => r.line),
      [2, 5],
    );
    assert.deepEqual(
      table.issues.map((i) => i.line),
      [3, 4],
    );
    assert.match(table.issues[0]?.message ?? "", /expected 2 fields \(as in the header\), found 1/);
    assert.match(table.issues[1]?.message ?? "", /found 3/);
  });

  it("reports an unterminated quote with the line it was opened on", () => {
    const table = parseCsv('a,b\n1,2\n3,"never closed\n4,5\n');
    assert.deepEqual(
      table.rows.map((r) => r.line),
      [2],
    );
    assert.equal(table.issues.length, 1);
    assert.equal(table.issues[0]?.line, 3);
    assert.match(table.issues[0]?.message ?? "", /unterminated quoted field \(opened on line 3\)/);
  });

  it("reports text after a closing quote and stray quotes in unquoted fields", () => {
    const table = parseCsv('a,b\n"x"y,1\nab"c,2\nok,3\n');
    assert.deepEqual(
      table.issues.map((i) => i.line),
      [2, 3],
    );
    assert.match(table.issues[0]?.message ?? "", /after a closing quote/);
    assert.match(table.issues[1]?.message ?? "", /stray double quote/);
    assert.deepEqual(table.rows.map((r) => r.values["a"]), ["ok"]);
  });

  it("reports an empty file and header problems instead of throwing", () => {
    assert.deepEqual(parseCsv("").issues, [{ line: 1, message: "file is empty: expected a header row" }]);
    const table = parseCsv("a,,a\n1,2,3\n");
    assert.deepEqual(
      table.issues.map((i) => i.message),
      ["header row: column 2 has no name", "header row: duplicate column name 'a'"],
    );
  });
});

describe("loadCsvFile", () => {
  const dirs: Array<{ remove(): Promise<void> }> = [];
  after(async () => {
    await Promise.all(dirs.map((d) => d.remove()));
  });

  it("parses a UTF-8 file from disk", async () => {
    const dir = await makeTempDir();
    dirs.push(dir);
    const file = await dir.write("names.csv", "name,city\nNoah Müller,Zürich\n");
    const table = await loadCsvFile(file);
    assert.deepEqual(table.rows[0]?.values, { name: "Noah Müller", city: "Zürich" });
  });

  it("rejects when the file does not exist", async () => {
    await assert.rejects(loadCsvFile("/nonexistent/dir/x.csv"), { code: "ENOENT" });
  });
});
