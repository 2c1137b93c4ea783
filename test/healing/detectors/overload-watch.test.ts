import type { ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import type { DetectorEvent } from "../../../src/healing/detectors/detector-event.js";
import { createOverloadWatch } from "../../../src/healing/detectors/overload-watch.js";
import { createSqliteStore } from "../../../src/store/adapters/sqlite/create-sqlite-store.js";
import { cpuPercent, parseProcStat, parseVmRss, readProc } from "../../../src/healing/detectors/proc-reading.js";
import { killAll, spawnNode, waitFor } from "./helpers.js";

const children: ChildProcess[] = [];
afterEach(() => killAll(children));

describe("proc readings", () => {
  it("counts stat fields after the last ')' so odd command names do not shift them", () => {
    const stat = "4242 (we) ird (name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 1 0 12345 1000000 500 18446744073709551615";
    expect(parseProcStat(stat)).toBe(280);
    expect(parseVmRss("Name:\tnode\nVmRSS:\t   2048 kB\nThreads: 7\n")).toBe(2048 * 1024);
    expect(parseVmRss("Name:\tzombie\n")).toBeNull();
    expect(cpuPercent(100, 150, 1000)).toBe(50);
  });

  it("reads this process and says null for a pid that does not exist", async () => {
    const me = await readProc(process.pid);
    expect(me?.rssBytes).toBeGreaterThan(1024 * 1024);
    expect(me?.cpuTicks).toBeGreaterThanOrEqual(0);
    expect(await readProc(2 ** 22 + 1)).toBeNull();
  });
});

describe("createOverloadWatch with real processes", () => {
  it("emits overload once for a busy-loop child and not for an idle one", async () => {
    const busy = spawnNode("for(;;){}", children);
    const idle = spawnNode("setInterval(() => {}, 1000)", children);
    // Node's own start-up burns CPU for a moment; the idle child should be measured once idle.
    await new Promise((r) => setTimeout(r, 600));
    let polls = 0;
    const events: DetectorEvent[] = [];
    const watch = createOverloadWatch({
      pids: async () => {
        polls++;
        return [busy.pid, idle.pid];
      },
      // Low, so that a busy loop starved by a loaded machine (parallel test files) stays over it:
      // a dip below the bound would end the episode and a second event would follow.
      cpuPercent: 10,
      intervalMs: 250,
      environment: "stage",
      target: "stage/dashboard",
      emit: (e) => events.push(e),
    });
    watch.start();
    await waitFor(() => events.length >= 1, 20_000, "overload");
    const seen = polls;
    await waitFor(() => polls >= seen + 3, 20_000, "more polls");
    await watch.stop();

    expect(events.map((e) => e.evidence)).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: "overload", environment: "stage", target: "stage/dashboard", evidence: { pid: busy.pid, over: ["cpu"] } });
    expect((events[0]?.evidence as { cpuPercent: number }).cpuPercent).toBeGreaterThan(10);
  });

  it("checks resident memory at once and skips pids that are gone", async () => {
    const idle = spawnNode("setInterval(() => {}, 1000)", children);
    const events: DetectorEvent[] = [];
    const watch = createOverloadWatch({
      pids: async () => [idle.pid, 2 ** 22 + 1],
      rssBytes: 1024 * 1024,
      intervalMs: 20,
      environment: "dev",
      target: "dev/app",
      emit: (e) => events.push(e),
    });
    watch.start();
    await waitFor(() => events.length >= 1, 10_000, "memory overload");
    await watch.stop();
    expect(events).toHaveLength(1);
    expect(events[0]?.evidence).toMatchObject({ pid: idle.pid, over: ["memory"], limits: { cpuPercent: null, rssBytes: 1024 * 1024 } });
  });
});

describe("createOverloadWatch with a stored CPU threshold", () => {
  it("reads the bound every poll: a child at about 60 % is fine under 95 and overloaded once it is lowered to 20", async () => {
    // Busy 30 ms, idle 20 ms: about 60 % of a core, never near 95 (descheduling only lowers it).
    const half = spawnNode("setInterval(() => { const end = Date.now() + 30; while (Date.now() < end); }, 50)", children);
    const store = await createSqliteStore({ memory: true });
    await store.migrate();
    const change = (to: number, at: number) => store.remedies.changeThreshold({ detector: "stage/dashboard", key: "cpu_percent", to, by: "test", decisionId: null, reason: "test", at });
    await change(95, 1);
    let polls = 0;
    const events: DetectorEvent[] = [];
    const watch = createOverloadWatch({
      pids: async () => {
        polls++;
        return [half.pid];
      },
      // No cpuPercent: the stored value alone turns the CPU check on.
      cpuThreshold: () => store.remedies.getThreshold("stage/dashboard", "cpu_percent"),
      intervalMs: 250,
      environment: "stage",
      target: "stage/dashboard",
      emit: (e) => events.push(e),
    });
    try {
      watch.start();
      await waitFor(() => polls >= 5, 20_000, "polls under 95 %");
      expect(events).toEqual([]);
      await change(20, 2);
      await waitFor(() => events.length >= 1, 20_000, "overload at 20 %");
      expect(events[0]?.evidence).toMatchObject({ pid: half.pid, over: ["cpu"], limits: { cpuPercent: 20 } });
      expect((events[0]?.evidence as { cpuPercent: number }).cpuPercent).toBeGreaterThan(20);
    } finally {
      await watch.stop();
      await store.close();
    }
  });
});
