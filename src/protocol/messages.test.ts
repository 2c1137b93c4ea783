import { describe, expect, it } from "vitest";
import type { HealEvent } from "../core/healing/heal-event.js";
import { message, parseMessage } from "./messages.js";

// heal.detected carries a Monitor event over the bus: both kinds of heal event survive a JSON round
// trip, and malformed ones are refused with the field that is wrong (so they are dead-lettered).

const crash: HealEvent = { kind: "crash", environment: "stage", target: "stage/shop", at: 1, evidence: { pid: 42, samples: [{ up: false }] } };
const jobFailure: HealEvent = { kind: "job_failure", environment: "dev", jobId: "test", runId: "r1", attempt: 2, failureClass: "test_failure", exitCode: 1, lines: ["boom"], failedTestIds: ["a > b"], at: 2 };
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe("protocol: heal.detected", () => {
  it("round-trips a detector event and a failed job", () => {
    for (const event of [crash, jobFailure]) {
      const sent = message("heal.detected", { eventId: "e1", source: "watch@host:1", event });
      expect(parseMessage(wire(sent))).toEqual({ ok: true, message: sent });
    }
  });

  it("refuses an unknown kind, an unknown environment, a missing event id and a job failure without its job", () => {
    const bad = [
      [{ ...crash, kind: "meteor" }, "event"],
      [{ ...crash, environment: "qa" }, "event"],
      [{ ...jobFailure, jobId: "" }, "event"],
    ] as const;
    for (const [event, field] of bad) {
      const r = parseMessage(wire(message("heal.detected", { eventId: "e1", source: "s", event: event as never })));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toContain(field);
    }
    const noId = parseMessage(wire({ ...message("heal.detected", { eventId: "e1", source: "s", event: crash }), eventId: "" }));
    expect(noId).toMatchObject({ ok: false, reason: expect.stringContaining("eventId") as unknown });
  });
});
