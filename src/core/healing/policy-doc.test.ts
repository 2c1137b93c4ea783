import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatIssue } from "../pipeline/plan.js";
import { loadPolicyFile } from "./policy-file.js";

// docs/healing.md shows a valid policy file, an invalid one and its issues: keep them true.
const doc = readFileSync(new URL("../../../docs/healing.md", import.meta.url), "utf8");
const blocks = [...doc.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1] ?? "", text: m[2] ?? "" }));
const yamlBlocks = blocks.filter((b) => b.lang === "yaml");

describe("docs/healing.md", () => {
  it("has a valid example policy file that means what the page says", () => {
    const r = loadPolicyFile(yamlBlocks[0]?.text ?? "", { file: ".pitstop/policy.yml" });
    expect(r.issues).toEqual([]);
    expect(r.policy?.prod).toMatchObject({ deny: ["quarantine_test"], cooldownMs: 300_000, rules: { crash: ["restart", "rollback", "escalate"] } });
    expect(r.policy?.prod.requireApproval).toEqual(expect.arrayContaining(["restart", "rollback", "scale_down"]));
    expect(r.policy?.stage.qLearning.seed).toBe(7);
    expect(r.policy?.dev.qLearning.epsilon).toBe(0.3);
  });

  it("shows the issues the invalid example really gives", () => {
    const bad = yamlBlocks[1]?.text ?? "";
    const shown = blocks[blocks.findIndex((b) => b.text === bad) + 1]?.text.trim().split("\n");
    const r = loadPolicyFile(bad, { file: ".pitstop/policy.yml" });
    expect(r.issues.map(formatIssue)).toEqual(shown);
  });
});
