import { describe, expect, it } from "vitest";
import { parseAuditJsonl, toAuditJsonLine } from "../../../src/healing/audit/audit-jsonl.js";
import { verifyChain } from "../../../src/healing/audit/verify-chain.js";
import { buildChain } from "./chain-fixture.js";

const chain = buildChain(4);
const text = chain.map((r) => `${toAuditJsonLine(r)}\n`).join("");

describe("audit JSONL", () => {
  it("writes one record per line with fields in a fixed order, and reads it back exactly", () => {
    const first = text.split("\n")[0]!;
    expect(Object.keys(JSON.parse(first) as object)).toEqual(["seq", "at", "type", "actor", "subject", "data", "prevHash", "hash"]);
    expect(parseAuditJsonl(text)).toEqual({ ok: true, records: chain, lines: [1, 2, 3, 4] });
  });

  it("skips blank lines, tolerates CRLF and a BOM, and keeps real line numbers", () => {
    const lines = text.trimEnd().split("\n");
    const messy = `\uFEFF${lines[0]}\r\n\r\n${lines[1]}\r\n   \n${lines.slice(2).join("\n")}\n\n`;
    const parsed = parseAuditJsonl(messy);
    expect(parsed).toMatchObject({ ok: true, lines: [1, 3, 5, 6] });
    expect(parsed.ok && verifyChain(parsed.records).ok).toBe(true);
  });

  it("reads values loosely: an unknown type is for the verifier to reject, not the parser", () => {
    const edited = text.replace('"type":"RL_DECISION"', '"type":"NOT_A_TYPE"');
    const parsed = parseAuditJsonl(edited);
    expect(parsed.ok).toBe(true);
    expect(parsed.ok && verifyChain(parsed.records)).toMatchObject({ ok: false, seq: 2, reason: "edited" });
  });

  it("reports bad JSON with line and column", () => {
    const lines = text.split("\n");
    lines[2] = lines[2]!.replace('"seq":3,', '"seq":3,,');
    expect(parseAuditJsonl(lines.join("\n"))).toEqual({
      ok: false,
      problem: { line: 3, column: 10, message: expect.stringMatching(/^not valid JSON: /) },
    });
    expect(parseAuditJsonl(`${lines[0]}\n{"seq":`)).toMatchObject({ ok: false, problem: { line: 2, message: expect.stringMatching(/^not valid JSON/) } });
  });

  it("reports lines that are not records: not an object, a missing field, an extra field, a wrong type", () => {
    const [l1, l2] = text.split("\n") as [string, string];
    const record = JSON.parse(l2) as Record<string, unknown>;
    const { hash: _hash, ...noHash } = record;
    const cases: Array<[string, string]> = [
      ["[1,2]", "expected a JSON object (one audit record per line)"],
      [JSON.stringify(noHash), 'missing field "hash"'],
      [JSON.stringify({ ...record, note: "added" }), "unexpected field note: an audit record has exactly seq, at, type, actor, subject, data, prevHash, hash"],
      [JSON.stringify({ ...record, seq: "2" }), 'field "seq": '],
      [JSON.stringify({ ...record, subject: { runId: 5 } }), 'field "subject.runId": '],
      [JSON.stringify({ ...record, data: [1] }), 'field "data": '],
    ];
    for (const [line, message] of cases) {
      const parsed = parseAuditJsonl(`${l1}\n${line}\n`);
      expect(parsed.ok, line).toBe(false);
      if (!parsed.ok) {
        expect(parsed.problem.line).toBe(2);
        expect(parsed.problem.message.startsWith(message), `${parsed.problem.message} should start with ${message}`).toBe(true);
      }
    }
  });

  it("an empty file is an empty chain", () => {
    expect(parseAuditJsonl("")).toEqual({ ok: true, records: [], lines: [] });
  });
});
