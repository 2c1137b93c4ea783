import { afterEach, describe, expect, it } from "vitest";
import { startHealDispatch, type HealDispatch } from "../../../src/app/heal-dispatch.js";
import { createMemoryBus } from "../../../src/bus/adapters/memory.js";
import type { RunningConsumer } from "../../../src/bus/consumer.js";
import type { Bus } from "../../../src/bus/port.js";
import type { DetectorEvent } from "../../../src/core/healing/heal-event.js";
import { silentLogger } from "../../../src/core/logger.js";
import { startHealer } from "../../../src/healing/loop/start-healer.js";
import type { Store } from "../../../src/store/port.js";
import { createLoopFixture } from "./loop-fixture.js";
import { createScriptedTarget } from "./scripted-target.js";

// A command that waits on a detection (pitstop run --heal, the demo) publishes it on the bus and
// gets the outcome back, whether its own healer settled it or another healer of the environment did.

const crash = (): DetectorEvent => ({ kind: "crash", environment: "stage", target: "stage/shop", at: Date.now(), evidence: {} });

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(): Promise<{ bus: Bus; store: Store; target: ReturnType<typeof createScriptedTarget>; dispatch: (environments: ("stage" | "prod")[], takeTimeoutMs?: number) => HealDispatch; loop: Awaited<ReturnType<typeof createLoopFixture>>["loop"] }> {
  const bus = await createMemoryBus({ visibilityTimeoutMs: 30_000 });
  const target = createScriptedTarget({ healthyAfter: ["restart"] });
  const { store, loop } = await createLoopFixture((env) => (env === "stage" ? target : null));
  cleanup.push(async () => {
    await bus.close();
    await store.close();
  });
  const dispatch = (environments: ("stage" | "prod")[], takeTimeoutMs?: number): HealDispatch => {
    const d = startHealDispatch({ bus, store: store.healing, loop, log: silentLogger, environments, source: "test", pollMs: 50, ...(takeTimeoutMs ? { takeTimeoutMs } : {}) });
    cleanup.push(() => d.stop());
    return d;
  };
  return { bus, store, target, dispatch, loop };
}

describe("heal dispatch", () => {
  it("publishes the event and resolves with the outcome its own healer settled", async () => {
    const { dispatch, target, store } = await setup();
    const outcome = await dispatch(["stage"]).heal(crash());
    expect(outcome).toMatchObject({ status: "healed", steps: [{ action: "restart", status: "executed", verdict: "healed" }] });
    expect(target.calls).toEqual(["restart"]);
    // The incident is named after the bus event.
    expect(await store.healing.getIncident(outcome.incidentId)).toMatchObject({ status: "healed" });
  });

  it("resolves from the store when another healer of the environment took the event", async () => {
    const { bus, store, loop, dispatch, target } = await setup();
    const settledBy: string[] = [];
    const other: RunningConsumer = startHealer({ bus, loop, incidents: store.healing, log: silentLogger, consumer: "watch-elsewhere", environments: ["stage"], onOutcome: (d) => void settledBy.push(d.eventId) });
    cleanup.push(() => other.stop());
    // This dispatch runs no healer for stage, so only the other one can take it.
    const outcome = await dispatch([]).heal(crash());
    expect(settledBy).toEqual([outcome.incidentId]);
    expect(outcome).toMatchObject({ status: "healed", decisionId: expect.any(String) as unknown, steps: [{ action: "restart", status: "executed", verdict: "healed", reason: expect.stringContaining("healthy") as unknown }] });
    expect(target.calls).toEqual(["restart"]);
  });

  it("never waits forever: no healer taking the event, or a stopped dispatch, rejects with why", async () => {
    const { dispatch } = await setup();
    await expect(dispatch([], 300).heal(crash())).rejects.toThrow(/no healer took the event .* is a healer for its environment running\?/);
    const stopped = dispatch(["stage"]);
    await stopped.stop();
    await expect(stopped.heal(crash())).rejects.toThrow("the heal dispatch is stopped");
  });
});
