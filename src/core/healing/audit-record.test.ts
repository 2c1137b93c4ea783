import { describe, expect, it } from "vitest";
import { AuditEventType, GENESIS_HASH, auditHashInput, canonicalJson, findJsonProblem, isAuditActor, isAuditEventType } from "./audit-record.js";

describe("canonicalJson", () => {
  it("sorts keys at every depth and writes no whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: "x" } })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it("is the same for equal values built in another key order", () => {
    expect(canonicalJson({ x: 1, y: { p: 2, q: 3 } })).toBe(canonicalJson({ y: { q: 3, p: 2 }, x: 1 }));
  });

  it("sorts by UTF-16 code units, not by locale", () => {
    // "Z" (0x5a) < "a" (0x61) < "é" (0xe9) < "😀" (0xd83d…) < "ｚ" (0xff5a)
    expect(canonicalJson({ ｚ: 5, "😀": 4, é: 3, a: 2, Z: 1 })).toBe('{"Z":1,"a":2,"é":3,"😀":4,"ｚ":5}');
  });

  it("writes numbers and strings as JSON.stringify does", () => {
    expect(canonicalJson([0.1 + 0.2, 1e21, -0, 5e-7, "a\"b\\c\n\u0000"])).toBe('[0.30000000000000004,1e+21,0,5e-7,"a\\"b\\\\c\\n\\u0000"]');
  });

  it("leaves out undefined object values, so a value and its JSON round trip serialise the same", () => {
    const value = { keep: 1, drop: undefined, nested: { also: undefined, n: [1, "two"] } };
    expect(canonicalJson(value)).toBe('{"keep":1,"nested":{"n":[1,"two"]}}');
    expect(canonicalJson(JSON.parse(JSON.stringify(value)))).toBe(canonicalJson(value));
  });

  it("refuses what JSON cannot hold exactly", () => {
    expect(() => canonicalJson({ a: NaN })).toThrow(/value\.a: NaN is not JSON/);
    expect(() => canonicalJson([1, undefined])).toThrow(/value\[1\]: undefined/);
    expect(() => canonicalJson({ when: new Date(0) })).toThrow(/Date object/);
    expect(() => canonicalJson({ n: 1n })).toThrow(/bigint/);
  });
});

describe("findJsonProblem", () => {
  it("accepts plain JSON, including null-prototype objects", () => {
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    expect(findJsonProblem({ a: [1, "x", null, true, { b: bare }] })).toBeNull();
  });

  it("names the path of the first problem", () => {
    expect(findJsonProblem({ scores: [1, 2, Infinity] }, "data")).toBe("data.scores[2]: Infinity is not JSON");
    expect(findJsonProblem({ f: () => 1 }, "data")).toBe("data.f: a function is not JSON");
    expect(findJsonProblem(new Array<number>(2).fill(1, 1), "data")).toBe("data[0]: undefined is not JSON");
  });
});

describe("audit record helpers", () => {
  it("catalogs the seed proof events and the loop's own steps", () => {
    for (const t of ["RUNTIME_EMIT", "RL_DECISION", "ORCH_EXEC", "ORCH_REFUSE", "UNSAFE_ACTION_REFUSED", "SYSTEM_STABLE", "FEEDBACK", "BREAKER_RESET"]) {
      expect(isAuditEventType(t), t).toBe(true);
    }
    expect(Object.keys(AuditEventType)).toHaveLength(17);
    expect(isAuditEventType("rl_decision")).toBe(false);
    expect(isAuditEventType("toString")).toBe(false);
  });

  it("accepts system, user:<name> and agent:<id> actors only", () => {
    expect(["system", "user:alice", "user:Jane Doe", "agent:deploy-1"].every(isAuditActor)).toBe(true);
    expect(["", "root", "user:", "agent:", "user:a\nb", `user:${"x".repeat(201)}`, "System"].some(isAuditActor)).toBe(false);
  });

  it("hashes exactly seq, at, type, actor, subject, data and prevHash", () => {
    const fields = { seq: 1, at: 5, type: "FEEDBACK", actor: "user:bo", subject: { decisionId: "d1" }, data: { accept: true }, prevHash: GENESIS_HASH };
    const input = auditHashInput(fields);
    expect(input).toBe(`{"actor":"user:bo","at":5,"data":{"accept":true},"prevHash":"${GENESIS_HASH}","seq":1,"subject":{"decisionId":"d1"},"type":"FEEDBACK"}`);
    expect(auditHashInput({ ...fields, hash: "ignored", extra: 1 } as typeof fields)).toBe(input);
    expect(GENESIS_HASH).toMatch(/^0{64}$/);
  });
});
