import { describe, expect, it } from "vitest";
import { BLOCKED_ACTIONS } from "./actions.js";
import { defaultPolicyFile } from "./default-policy.js";
import { createIncident } from "./incident.js";
import { screenAction } from "./screen-action.js";
import type { ShieldState } from "./shield.js";

const idle: ShieldState = { now: 0, history: [], breaker: { tripped: false, resetAt: null }, pendingApprovals: [] };
const prod = defaultPolicyFile().prod;
const incident = createIncident({ kind: "bad_release", environment: "prod", deploy: { app: "app", workers: 1, hasPreviousHealthyRelease: true } });

describe("screenAction", () => {
  it("refuses every globally blocked name as unsafe, in every case", () => {
    for (const name of Object.keys(BLOCKED_ACTIONS)) {
      const s = screenAction(name, incident, prod, idle);
      expect(s).toMatchObject({ ok: false, name, code: "globally_blocked", unsafe: true });
    }
    expect(screenAction("drop_database", incident, prod, idle)).toEqual({ ok: false, name: "drop_database", code: "globally_blocked", reason: "globally blocked: destructive: drops a database", unsafe: true });
  });

  it("refuses unknown names as unsafe, with a did-you-mean", () => {
    expect(screenAction("rm -rf /", incident, prod, idle)).toMatchObject({ ok: false, code: "unknown", unsafe: true, reason: expect.stringContaining("unknown action `rm -rf /`") });
    expect(screenAction("restrat", incident, prod, idle)).toMatchObject({ ok: false, reason: expect.stringContaining("did you mean `restart`?") });
  });

  it("refuses a masked catalog action with the shield's reason, not as unsafe", () => {
    expect(screenAction("scale_down", incident, prod, idle)).toEqual({ ok: false, name: "scale_down", code: "precondition", reason: "precondition: only 1 worker: cannot scale below 1", unsafe: false });
  });

  it("accepts a permitted action and says whether it waits for approval", () => {
    expect(screenAction("rollback", incident, prod, idle)).toEqual({ ok: true, action: "rollback", needsApproval: true });
    expect(screenAction("restart", incident, prod, idle)).toEqual({ ok: true, action: "restart", needsApproval: false });
  });
});
