import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import type { DetectorEvent } from "../../../src/healing/detectors/detector-event.js";
import { createWorkerWatch } from "../../../src/healing/detectors/worker-watch.js";
import { isAlive, killAll, spawnNode, waitFor } from "./helpers.js";

const children: ChildProcess[] = [];
afterEach(() => killAll(children));

describe("createWorkerWatch with real processes", () => {
  it("emits one crash for the worker that was killed, none for the live one", async () => {
    const a = spawnNode("setInterval(() => {}, 1000)", children);
    const b = spawnNode("setInterval(() => {}, 1000)", children);
    let polls = 0;
    const status = async () => {
      polls++;
      return { workers: [a.pid, b.pid].map((pid) => ({ pid, alive: isAlive(pid) })) };
    };
    const events: DetectorEvent[] = [];
    const watch = createWorkerWatch({ status, intervalMs: 20, environment: "stage", target: "stage/dashboard", emit: (e) => events.push(e) });
    watch.start();
    watch.start(); // a second start does nothing
    await waitFor(() => polls >= 3, 10_000, "polls");
    expect(events).toEqual([]);

    const exited = once(a, "exit");
    a.kill("SIGKILL");
    await exited;
    await waitFor(() => events.length === 1, 10_000, "crash");
    const seen = polls;
    await waitFor(() => polls >= seen + 5, 10_000, "more polls");
    await watch.stop();
    await watch.stop();

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: "crash", environment: "stage", target: "stage/dashboard", evidence: { pid: a.pid } });
    expect((events[0]?.evidence as { workers: unknown[] }).workers).toEqual([
      { pid: a.pid, alive: false },
      { pid: b.pid, alive: true },
    ]);
    const after = polls;
    await new Promise((r) => setTimeout(r, 80));
    expect(polls).toBe(after);
  });

  it("reports a failing status function and keeps polling", async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const watch = createWorkerWatch({
      status: async () => {
        calls++;
        throw new Error("supervisor unreachable");
      },
      intervalMs: 10,
      environment: "dev",
      target: "dev/app",
      emit: () => undefined,
      onError: (e) => errors.push(e),
    });
    watch.start();
    await waitFor(() => calls >= 3, 10_000, "polls");
    await watch.stop();
    expect((errors[0] as Error).message).toBe("supervisor unreachable");
  });
});
