import { describe, expect, it } from "vitest";
import { createLogBatcher } from "../../src/agents/log-batcher.js";

describe("log batcher", () => {
  it("keeps sending after a batch failed to send (a failed send must not stop the job's later reports)", async () => {
    const sent: Array<{ seq: number; texts: string[] }> = [];
    let failNext = true;
    const b = createLogBatcher({
      now: () => 0,
      flushMs: 10_000,
      send: async (seq, lines) => {
        if (failNext) {
          failNext = false;
          throw new Error("bus down");
        }
        sent.push({ seq, texts: lines.map((l) => l.text) });
      },
    });
    b.push("stdout", "one");
    await expect(b.flush()).rejects.toThrow("bus down");
    b.push("stdout", "two");
    await b.flush();
    await b.stop();
    expect(sent).toEqual([{ seq: 1, texts: ["two"] }]);
    expect(b.tail()).toEqual(["one", "two"]);
  });
});
