import { z } from "zod";
import { suggestionHint } from "../../core/pipeline/did-you-mean.js";

/** npm's advisory severities, least severe first; `info` never gates. */
export const SEVERITIES = ["info", "low", "moderate", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];
export const GATE_SEVERITIES = ["low", "moderate", "high", "critical"] as const;
export type GateSeverity = (typeof GATE_SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

const isHttpUrl = (s: string) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol);

// Globs are relative to the working directory and only ever narrow the scan.
const ExcludeGlob = z
  .string()
  .min(1, { error: "expected a non-empty glob such as `fixtures/**`" })
  .refine((g) => !g.startsWith("!") && !g.startsWith("/") && !g.split("/").includes(".."), {
    error: "expected a glob relative to the working directory (no leading `/` or `!`, no `..`), such as `fixtures/**`",
  });

const SecurityOptionsSchema = z.object({
  fail_on: z.enum(GATE_SEVERITIES, { error: "expected low, moderate, high or critical (npm's advisory severities)" }).default("high"),
  secrets: z.union([z.boolean(), z.literal("warn")], { error: "expected true, false or `warn` (report secrets without failing)" }).default(true),
  audit: z.union([z.boolean(), z.literal("production")], { error: "expected true, false or `production` (skip devDependencies)" }).default(true),
  registry: z
    .string({ error: "expected the registry's URL, such as https://registry.npmjs.org/" })
    .refine(isHttpUrl, { error: "expected an http(s) URL such as https://registry.npmjs.org/" })
    .nullable()
    .default(null),
  audit_unreachable: z.enum(["fail", "warn"], { error: "expected `fail` (default) or `warn`" }).default("fail"),
  exclude: z.array(ExcludeGlob, { error: "expected a list of globs, such as [fixtures/**]" }).default([]),
  /** Set on every short-form job; the security stage does not use them. */
  notify_on_success: z.unknown().optional(),
  deploy_environment: z.unknown().optional(),
});

export interface SecurityOptions {
  failOn: GateSeverity;
  /** `warn`: secrets are reported but do not fail the stage. */
  secrets: boolean | "warn";
  /** `production`: devDependencies are left out (`--omit=dev`). */
  audit: boolean | "production";
  registry: string | null;
  auditUnreachable: "fail" | "warn";
  exclude: string[];
}

export type ParsedSecurityOptions = { ok: true; options: SecurityOptions } | { ok: false; error: string };

const KNOWN = Object.keys(SecurityOptionsSchema.shape);
const SUGGESTABLE = KNOWN.filter((k) => k !== "notify_on_success" && k !== "deploy_environment");

/** Validates the security stage's `with` map; errors name the field and say what to do. */
export function parseSecurityOptions(raw: Record<string, unknown>): ParsedSecurityOptions {
  for (const key of Object.keys(raw)) {
    if (KNOWN.includes(key)) continue;
    const hint = suggestionHint(key, SUGGESTABLE);
    return { ok: false, error: `with.${key}: unknown option of the security stage${hint ? ` (${hint})` : ""}` };
  }
  const r = SecurityOptionsSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    return { ok: false, error: `with.${issue.path.join(".")}: ${issue.message}` };
  }
  const o = r.data;
  if (o.secrets === false && o.audit === false) {
    return { ok: false, error: "with.secrets and with.audit: both scans are switched off, so the stage would check nothing: enable one or remove the stage" };
  }
  return {
    ok: true,
    options: { failOn: o.fail_on, secrets: o.secrets, audit: o.audit, registry: o.registry, auditUnreachable: o.audit_unreachable, exclude: o.exclude },
  };
}
