import { describe, expect, it } from "vitest";
import type { HealAction } from "../actions.js";
import { DEFAULT_RULES } from "../default-policy.js";
import { createIncident } from "../incident.js";
import { createRng, type Rng } from "../rng.js";
import { createQLearningPolicy, emptyQTable, qUpdate, qValue, QLearningStateSchema, type QLearningState } from "./q-learning.js";
import { qTable } from "./q-table.js";

const crash = createIncident({ kind: "crash", environment: "stage" });
const PERMITTED: HealAction[] = ["restart", "scale_up", "rollback", "noop", "escalate"];
const params = { alpha: 0.5, gamma: 0.9, epsilon: 0.2 };

/** An rng that fails the test if anything draws from it. */
const noDraws: Rng = {
  next: () => {
    throw new Error("drew a random number");
  },
  int: () => {
    throw new Error("drew a random number");
  },
  state: () => 0,
};

function table(entries: Array<[string, HealAction, number, number]>): QLearningState {
  let s = emptyQTable();
  for (const [problem, action, q, n] of entries) s = { kind: "q-learning", table: { ...s.table, [problem]: { ...s.table[problem], [action]: { q, n } } } };
  return s;
}

describe("qUpdate: one-step Q-learning", () => {
  it("terminal step: Q ← Q + α(r − Q)", () => {
    const s1 = qUpdate(emptyQTable(), params, { problem: "crash", action: "restart", reward: 1, next: null });
    expect(qValue(s1, "crash", "restart")).toEqual({ q: 0.5, n: 1 });
    const s2 = qUpdate(s1, params, { problem: "crash", action: "restart", reward: 1, next: null });
    expect(qValue(s2, "crash", "restart")).toEqual({ q: 0.75, n: 2 });
  });

  it("non-terminal step bootstraps on max Q of the next state: Q ← Q + α(r + γ·max Q(s′,·) − Q)", () => {
    const s = table([
      ["crash", "restart", 0.2, 3],
      ["crash", "rollback", 0.4, 1],
      ["crash", "scale_up", -0.3, 2],
    ]);
    const next = qUpdate(s, { alpha: 0.5, gamma: 0.9 }, { problem: "crash", action: "restart", reward: -1, next: "crash" });
    // 0.2 + 0.5 · (−1 + 0.9 · 0.4 − 0.2) = −0.22
    expect(qValue(next, "crash", "restart").q).toBeCloseTo(-0.22, 12);
    expect(qValue(next, "crash", "restart").n).toBe(4);
  });

  it("counts unseen actions as 0 in the max, so an all-negative row bootstraps on 0", () => {
    const s = table([["oom", "retry_job", -0.5, 1]]);
    const next = qUpdate(s, { alpha: 1, gamma: 0.9 }, { problem: "oom", action: "retry_job", reward: -1, next: "oom" });
    expect(qValue(next, "oom", "retry_job").q).toBeCloseTo(-1, 12);
  });

  it("never mutates the state it is given and stays JSON-safe", () => {
    const s = table([["crash", "restart", 0.2, 1]]);
    const frozen = JSON.stringify(s);
    const next = qUpdate(s, params, { problem: "latency", action: "scale_up", reward: 1, next: null });
    expect(JSON.stringify(s)).toBe(frozen);
    expect(QLearningStateSchema.parse(JSON.parse(JSON.stringify(next)))).toEqual(next);
  });

  it("refuses a reward that would poison the table", () => {
    expect(() => qUpdate(emptyQTable(), params, { problem: "crash", action: "restart", reward: Number.NaN, next: null })).toThrow(/finite/);
  });
});

describe("choose: epsilon-greedy with fixed tie-breaks", () => {
  const policy = createQLearningPolicy(params, DEFAULT_RULES);

  it("breaks ties by the rules' order, so an empty table acts like the rules", () => {
    const c = policy.choose(emptyQTable(), crash, PERMITTED, { rng: noDraws, mode: "exploit" });
    expect(c).toEqual({
      action: "restart",
      propensity: 1,
      explore: false,
      candidates: [
        { action: "restart", estimate: 0, count: 0 },
        { action: "rollback", estimate: 0, count: 0 },
        { action: "scale_up", estimate: 0, count: 0 },
        { action: "escalate", estimate: 0, count: 0 },
        { action: "noop", estimate: 0, count: 0 },
      ],
    });
  });

  it("exploits the highest Q value among the permitted actions only", () => {
    const s = table([
      ["crash", "restart", -0.5, 2],
      ["crash", "rollback", 0.8, 4],
      ["crash", "retry_job", 5, 9],
    ]);
    expect(policy.choose(s, crash, PERMITTED, { rng: noDraws, mode: "exploit" }).action).toBe("rollback");
  });

  it("never explores in prod (exploit mode), whatever epsilon is, and draws no random number", () => {
    const greedy = createQLearningPolicy({ ...params, epsilon: 1 }, DEFAULT_RULES);
    const c = greedy.choose(emptyQTable(), crash, PERMITTED, { rng: noDraws, mode: "exploit" });
    expect(c).toMatchObject({ action: "restart", explore: false, propensity: 1 });
  });

  it("logs the epsilon-greedy propensity ε/|A| + (1−ε)·[greedy]", () => {
    const seen = new Map<string, { explore: boolean; propensity: number }>();
    const rng = createRng(3);
    for (let i = 0; i < 200; i++) {
      const c = policy.choose(emptyQTable(), crash, PERMITTED, { rng, mode: "explore" });
      seen.set(`${c.action}:${c.explore}`, { explore: c.explore, propensity: c.propensity });
    }
    expect(seen.get("restart:false")?.propensity).toBeCloseTo(0.2 / 5 + 0.8, 12);
    expect(seen.get("restart:true")?.propensity).toBeCloseTo(0.2 / 5 + 0.8, 12);
    expect(seen.get("noop:true")?.propensity).toBeCloseTo(0.2 / 5, 12);
    expect(seen.has("noop:false")).toBe(false);
  });

  it("explores about epsilon of the time, uniformly over the permitted actions", () => {
    const rng = createRng(11);
    const counts = new Map<string, number>();
    let explored = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const c = policy.choose(emptyQTable(), crash, PERMITTED, { rng, mode: "explore" });
      counts.set(c.action, (counts.get(c.action) ?? 0) + 1);
      if (c.explore) explored++;
    }
    expect(explored / n).toBeCloseTo(0.2, 1.5);
    // greedy: 0.8 + 0.2/5 = 0.84; each other action 0.04
    expect((counts.get("restart") ?? 0) / n).toBeCloseTo(0.84, 1.5);
    for (const a of ["rollback", "scale_up", "noop", "escalate"]) expect((counts.get(a) ?? 0) / n).toBeCloseTo(0.04, 1.5);
  });

  it("makes identical decisions from the same seed (stage replay)", () => {
    const run = (seed: number) => {
      const rng = createRng(seed);
      let s = emptyQTable();
      const picks: string[] = [];
      for (let i = 0; i < 50; i++) {
        const c = policy.choose(s, crash, PERMITTED, { rng, mode: "deterministic" });
        picks.push(`${c.action}/${c.explore}`);
        s = policy.learn(s, { problem: "crash", action: c.action, reward: c.action === "rollback" ? 1 : -1, next: null });
      }
      return { picks, s };
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5).picks).not.toEqual(run(6).picks);
  });

  it("learns from the seeds' rewards to prefer what heals", () => {
    let s = emptyQTable();
    const rng = createRng(1);
    for (let i = 0; i < 300; i++) {
      const c = policy.choose(s, crash, PERMITTED, { rng, mode: "explore" });
      s = policy.learn(s, { problem: "crash", action: c.action, reward: c.action === "scale_up" ? 1 : -1, next: null });
    }
    expect(policy.choose(s, crash, PERMITTED, { rng: noDraws, mode: "exploit" }).action).toBe("scale_up");
    expect(qTable(s).rows).toEqual([expect.objectContaining({ problem: "crash", best: "scale_up" })]);
  });
});

describe("qTable", () => {
  it("prints failure type × action in declaration order, unseen cells as 0", () => {
    const s = table([
      ["oom", "retry_job", -1, 1],
      ["crash", "restart", 0.5, 2],
      ["crash", "rollback", 0.25, 1],
    ]);
    const view = qTable(s);
    expect(view.rows.map((r) => r.problem)).toEqual(["crash", "oom"]);
    expect(view.rows[0]?.cells.find((c) => c.action === "restart")).toEqual({ action: "restart", q: 0.5, n: 2 });
    expect(view.rows[0]?.cells.find((c) => c.action === "noop")).toEqual({ action: "noop", q: 0, n: 0 });
    expect(view.rows.map((r) => r.best)).toEqual(["restart", "retry_job"]);
    expect(view.actions).toHaveLength(10);
  });
});
