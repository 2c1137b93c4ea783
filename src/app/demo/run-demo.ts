import path from "node:path";
import type { DeployTarget } from "../../deploy/port.js";
import { readAuditRecords } from "../../healing/audit/read-audit-records.js";
import { verifyChain } from "../../healing/audit/verify-chain.js";
import { createFaultInjector } from "../../healing/inject/create-fault-injector.js";
import type { HealEvent, HealOutcome } from "../../healing/loop/heal-types.js";
import type { Store } from "../../store/port.js";
import { SCENARIOS, type Scenario, type ScenarioContext } from "./demo-scenarios.js";
import { DEMO_APP } from "./demo-setup.js";

export interface ScenarioRow {
  scenario: string;
  fault: string;
  expected: string;
  /** The loop's first decision (its action), or null when none was made. */
  decision: string | null;
  /** The outcome: healed, escalated, refused, … or `error` when the fault or the loop broke. */
  verdict: string;
  /** Injection → the loop's healed verdict, ms; null when it was not healed. */
  recoverMs: number | null;
  note: string | null;
  /** Whether this row counts as success: healed (or escalated, for escalate) with the expected decision. */
  ok: boolean;
  healable: boolean;
}

export interface DemoScenariosInput {
  store: Store;
  /**
   * Hands a detection to the heal loop over the same store (stage's deploy target, an engine beside
   * it for the flaky-test scenarios' reruns, short verification windows) and resolves with the
   * outcome: `HealDispatch.heal`, through the bus.
   */
  heal: (event: HealEvent) => Promise<HealOutcome>;
  runTests: ScenarioContext["runTests"];
  target: DeployTarget;
  url: string;
  exampleDir: string;
  workDir: string;
  /** Printed as each scenario ends. */
  onRow?: (row: ScenarioRow) => void;
}

export interface DemoScenariosResult {
  rows: ScenarioRow[];
  audit: { ok: boolean; count: number; message: string | null };
}

/** A healable row must heal; an escalate row must escalate; an unwired one is shown, not counted. */
function judge(s: Scenario, outcome: HealOutcome): boolean {
  const first = outcome.steps[0]?.action ?? null;
  if (s.expected === "escalate") return first === "escalate" && outcome.status === "escalated";
  if (!s.healable) return true;
  return first === s.expected && outcome.status === "healed";
}

async function runScenario(s: Scenario, c: ScenarioContext, heal: DemoScenariosInput["heal"], store: Store): Promise<ScenarioRow> {
  const row = { scenario: s.name, expected: s.expected, healable: s.healable };
  let injected;
  try {
    injected = await s.inject(c);
  } catch (e) {
    return { ...row, fault: "-", decision: null, verdict: "error", recoverMs: null, note: (e as Error).message, ok: false };
  }
  const outcome = await heal(injected.event);
  const recoverMs = outcome.status === "healed" ? Date.now() - injected.injectedAt : null;
  return {
    ...row,
    fault: injected.fault,
    decision: outcome.steps[0]?.action ?? null,
    verdict: outcome.status,
    recoverMs,
    note: await noteOf(s, outcome, store),
    ok: judge(s, outcome),
  };
}

/** Why a row did not heal, from the loop's own records: the step's reason, or why the expected action was masked. */
async function noteOf(s: Scenario, outcome: HealOutcome, store: Store): Promise<string | null> {
  if (outcome.status === "healed") return null;
  const first = outcome.steps[0];
  if (first?.reason) return first.reason;
  if (first && first.action !== s.expected && outcome.decisionId) {
    const decision = await store.healing.getDecision(first.decisionId);
    const masked = decision?.explanation.masked.find((m) => m.action === s.expected);
    if (masked) return `${s.expected} masked: ${masked.reason}`;
  }
  return null;
}

/**
 * Runs every demo scenario against the deployed example through a real heal loop (stage policy,
 * seeded), then verifies the store's whole audit chain.
 */
export async function runDemoScenarios(input: DemoScenariosInput): Promise<DemoScenariosResult> {
  const { store, target } = input;
  const context: ScenarioContext = {
    store, runTests: input.runTests, target, url: input.url, injector: createFaultInjector(), environment: "stage",
    datasetsDir: path.join(input.exampleDir, "datasets"), workDir: input.workDir, subject: `stage/${DEMO_APP}`,
  };
  const rows: ScenarioRow[] = [];
  for (const s of SCENARIOS) {
    const row = await runScenario(s, context, input.heal, store);
    rows.push(row);
    input.onRow?.(row);
  }
  const records = [];
  for await (const r of readAuditRecords(store.audit)) records.push(r);
  const verdict = verifyChain(records);
  return { rows, audit: verdict.ok ? { ok: true, count: verdict.count, message: null } : { ok: false, count: records.length, message: verdict.message } };
}

/** The summary table, as people read it. */
export function formatDemoTable(rows: readonly ScenarioRow[]): string {
  const cells = rows.map((r) => [r.scenario, r.decision ?? "-", r.verdict + (r.note ? ` (${r.note})` : ""), r.recoverMs === null ? "-" : `${(r.recoverMs / 1000).toFixed(1)} s`]);
  const head = ["scenario", "decision", "verdict", "time to recover"];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join(" | ").trimEnd();
  return [line(head), widths.map((w) => "-".repeat(w)).join("-|-"), ...cells.map(line)].join("\n");
}
