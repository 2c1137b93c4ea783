import { describe, expect, it } from "vitest";
import { createIncident, IncidentContextSchema, problemTypeOf, targetsOf } from "./incident.js";
import { logSignature } from "./log-signature.js";

describe("incident context", () => {
  const full = createIncident({
    kind: "job_failure",
    failureClass: "oom",
    environment: "prod",
    signature: logSignature(["Killed: out of memory"]),
    exitCode: 137,
    minutesSinceDeploy: 12,
    flakeHistory: { runs: 20, flakes: 1 },
    failedTests: 0,
    actionsTried: ["retry_job"],
    job: { id: "run-7/build" },
    deploy: { app: "web", workers: 3, hasPreviousHealthyRelease: true },
    test: { id: "suite/login" },
    detector: { id: "latency" },
  });

  it("round-trips through JSON and its schema (bus, store)", () => {
    expect(IncidentContextSchema.parse(JSON.parse(JSON.stringify(full)))).toEqual(full);
  });

  it("rejects unknown fields and unknown actions tried", () => {
    expect(IncidentContextSchema.safeParse({ ...full, extra: 1 }).success).toBe(false);
    expect(IncidentContextSchema.safeParse({ ...full, actionsTried: ["drop_database"] }).success).toBe(false);
  });

  it("names a failed job by its failure class, anything else by its kind", () => {
    expect(problemTypeOf(full)).toBe("oom");
    expect(problemTypeOf({ kind: "job_failure", failureClass: null })).toBe("job_failure");
    expect(problemTypeOf({ kind: "latency", failureClass: null })).toBe("latency");
  });

  it("lists every target, deploy ids scoped by environment", () => {
    expect(targetsOf(full)).toEqual([
      { type: "job", id: "run-7/build" },
      { type: "deploy", id: "prod/web" },
      { type: "test", id: "suite/login" },
      { type: "detector", id: "latency" },
    ]);
  });
});
