import type { Command } from "commander";
import { ErrorCode, PitstopError } from "../../core/errors.js";
import { didYouMean } from "../../core/pipeline/did-you-mean.js";
import { checkThresholdValue, formatBounds, isThresholdKey, parseThresholdKey, THRESHOLD_KEYS, THRESHOLDS, type ThresholdKey } from "../../core/healing/thresholds.js";
import { createAuditLog } from "../../healing/audit/create-audit-log.js";
import type { Store, ThresholdChange } from "../../store/port.js";
import { formatTime, table } from "../format.js";
import type { CommandContext } from "../io.js";
import { withStore } from "./inspect.js";
import { limitOption, person } from "../heal-options.js";
import { actorOf } from "../../healing/loop/plan-step.js";

/** A threshold that is not at its default: the newest change of its (detector, key). */
export interface CurrentThreshold {
  detector: string;
  key: string;
  value: number;
  /** The registry's default and bounds; null for a key pitstop does not know (stored by something newer). */
  default: number | null;
  min: number | null;
  max: number | null;
  changedAt: number;
  by: string;
  decisionId: string | null;
}

/** Newest change per (detector, key) whose value is not the default, from changes listed newest first. */
export function currentThresholds(changes: readonly ThresholdChange[]): CurrentThreshold[] {
  const seen = new Set<string>();
  const current: CurrentThreshold[] = [];
  for (const c of changes) {
    const id = JSON.stringify([c.detector, c.key]);
    if (seen.has(id)) continue;
    seen.add(id);
    if (c.to === null) continue;
    const spec = isThresholdKey(c.key) ? THRESHOLDS[c.key] : null;
    current.push({ detector: c.detector, key: c.key, value: c.to, default: spec?.default ?? null, min: spec?.min ?? null, max: spec?.max ?? null, changedAt: c.at, by: c.by, decisionId: c.decisionId });
  }
  return current.sort((a, b) => a.detector.localeCompare(b.detector) || a.key.localeCompare(b.key));
}

function valueText(key: string, value: number | null): string {
  const spec = isThresholdKey(key) ? THRESHOLDS[key] : null;
  if (value === null) return spec ? `default (${spec.default} ${spec.unit})` : "default";
  return spec ? `${value} ${spec.unit}` : String(value);
}

const defaultsText = (): string => THRESHOLD_KEYS.map((k) => `${k} ${THRESHOLDS[k].default} ${THRESHOLDS[k].unit}`).join(", ");

export function renderThresholds(current: readonly CurrentThreshold[], changes: readonly ThresholdChange[]): string {
  if (changes.length === 0) return `no threshold changes: every detector uses its defaults (${defaultsText()})\n`;
  const now =
    current.length === 0
      ? "every detector is back at its defaults\n"
      : `thresholds not at their default\n${table([
          ["DETECTOR", "KEY", "VALUE", "DEFAULT", "BOUNDS", "SINCE", "BY"],
          ...current.map((c) => [c.detector, c.key, valueText(c.key, c.value), c.default === null ? "-" : String(c.default), isThresholdKey(c.key) ? formatBounds(c.key) : "-", formatTime(c.changedAt), c.by]),
        ])}`;
  const recent = table([
    ["ID", "WHEN", "DETECTOR", "KEY", "FROM", "TO", "BY", "REASON"],
    ...changes.map((c) => [String(c.id), formatTime(c.at), c.detector, c.key, valueText(c.key, c.from), valueText(c.key, c.to), c.decisionId ? `${c.by} (decision ${c.decisionId.slice(0, 8)})` : c.by, c.reason]),
  ]);
  return `${now}\nrecent changes, newest first\n${recent}`;
}

function keyArgument(name: string): ThresholdKey {
  const parsed = parseThresholdKey(name);
  if (!parsed.ok) throw new PitstopError(ErrorCode.USAGE, parsed.message);
  return parsed.key;
}

function detectorArgument(name: string): string {
  const detector = name.trim();
  if (detector === "") throw new PitstopError(ErrorCode.USAGE, "the detector is empty: name it as its events do, e.g. `stage/dashboard` (`pitstop thresholds` lists the changed ones)");
  return detector;
}

/** `default` (back to the detector's default) or a number within the key's bounds. */
function valueArgument(key: ThresholdKey, text: string): number | null {
  if (text.trim() === "default") return null;
  const value = /^\s*-?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : Number.NaN;
  const problem = Number.isNaN(value) ? `${key} ${JSON.stringify(text)} is not a number; give one within ${formatBounds(key)}, or \`default\`` : checkThresholdValue(key, value);
  if (problem !== null) throw new PitstopError(ErrorCode.USAGE, problem, { details: { key, min: THRESHOLDS[key].min, max: THRESHOLDS[key].max } });
  return value;
}

const audit = (store: Store) => createAuditLog({ store: store.audit, now: Date.now });

async function listCommand(ctx: CommandContext, opts: { detector?: string; limit: string; json?: boolean }): Promise<void> {
  const limit = limitOption(opts.limit);
  await withStore(ctx, async (store) => {
    // Every change is read to find each threshold's newest; changes are rare (a few per incident at most).
    const changes = await store.remedies.listThresholdChanges(opts.detector === undefined ? {} : { detector: opts.detector });
    const current = currentThresholds(changes);
    const recent = changes.slice(0, limit);
    if (opts.json) {
      const defaults = THRESHOLD_KEYS.map((k) => THRESHOLDS[k]);
      ctx.io.stdout.write(`${JSON.stringify({ defaults, current, changes: recent }, null, 2)}\n`);
      return;
    }
    ctx.io.stdout.write(renderThresholds(current, recent));
  });
}

async function setCommand(ctx: CommandContext, rawDetector: string, rawKey: string, rawValue: string, opts: { by?: string; reason?: string }): Promise<void> {
  const detector = detectorArgument(rawDetector);
  const key = keyArgument(rawKey);
  const to = valueArgument(key, rawValue);
  const by = person(ctx, opts.by);
  await withStore(ctx, async (store) => {
    const current = await store.remedies.getThreshold(detector, key);
    if (current === to) {
      ctx.io.stdout.write(`${key} of ${detector} is already ${valueText(key, to)}: nothing changed\n`);
      return;
    }
    const reason = opts.reason?.trim() || `set by ${by}`;
    const change = await store.remedies.changeThreshold({ detector, key, to, by, decisionId: null, reason, at: Date.now() });
    await audit(store).append({ type: "THRESHOLD_SET", actor: actorOf(by), subject: { detector, key }, data: { changeId: change.id, from: change.from, to: change.to, reason } });
    ctx.io.stdout.write(`${key} of ${detector}: ${valueText(key, change.from)} → ${valueText(key, change.to)} (bounds ${formatBounds(key)}); undo with \`pitstop thresholds revert ${detector} ${key}\`\n`);
  });
}

/** Undoes the newest change: a new change back to its `from`, so the history keeps both. */
async function revertCommand(ctx: CommandContext, rawDetector: string, rawKey: string, opts: { by?: string }): Promise<void> {
  const detector = detectorArgument(rawDetector);
  const key = keyArgument(rawKey);
  const by = person(ctx, opts.by);
  await withStore(ctx, async (store) => {
    const [last] = await store.remedies.listThresholdChanges({ detector, key, limit: 1 });
    if (last === undefined) {
      const changed = new Set((await store.remedies.listThresholdChanges({ key })).map((c) => c.detector));
      const close = didYouMean(detector, changed);
      const hint = close === null ? "`pitstop thresholds` lists the changes" : `did you mean \`${close}\`? \`pitstop thresholds\` lists the changes`;
      throw new PitstopError(ErrorCode.USAGE, `${key} of detector ${detector} was never changed: nothing to revert (${hint})`);
    }
    const reason = `revert of change ${last.id} by ${by}`;
    const change = await store.remedies.changeThreshold({ detector, key, to: last.from, by, decisionId: null, reason, at: Date.now() });
    await audit(store).append({
      type: "THRESHOLD_REVERTED",
      actor: actorOf(by),
      subject: { detector, key, ...(last.decisionId ? { decisionId: last.decisionId } : {}) },
      data: { changeId: change.id, revertedChangeId: last.id, revertedBy: last.by, from: change.from, to: change.to },
    });
    ctx.io.stdout.write(`${key} of ${detector}: ${valueText(key, change.from)} → ${valueText(key, change.to)} (reverted change ${last.id} by ${last.by})\n`);
  });
}

/** `pitstop thresholds [list|set|revert]`: detector thresholds, as the heal loop or people changed them. */
export function registerThresholdCommands(program: Command, ctx: CommandContext): void {
  const thresholds = program
    .command("thresholds")
    .description("detector thresholds changed by adjust_threshold or by hand: list them, set one within its bounds, revert the last change");
  thresholds
    .command("list", { isDefault: true })
    .description("thresholds not at their default, and recent changes (default command)")
    .option("--detector <name>", "only this detector's")
    .option("-n, --limit <n>", "how many recent changes", "20")
    .option("--json", "print as JSON")
    .action((opts: { detector?: string; limit: string; json?: boolean }) => listCommand(ctx, opts));
  thresholds
    .command("set")
    .description(`set a threshold within its bounds (${THRESHOLD_KEYS.map((k) => `${k} ${formatBounds(k)}`).join(", ")}), or back to \`default\``)
    .argument("<detector>", "what the detector watches, as its events name it, e.g. stage/dashboard")
    .argument("<key>", THRESHOLD_KEYS.join(" or "))
    .argument("<value>", "a number within the bounds, or default")
    .option("--reason <text>", "why")
    .option("--by <name>", "who (default: $USER)")
    .action((detector: string, key: string, value: string, opts: { by?: string; reason?: string }) => setCommand(ctx, detector, key, value, opts));
  thresholds
    .command("revert")
    .description("undo the last change of a threshold (recorded as a new change and audited)")
    .argument("<detector>", "the detector")
    .argument("<key>", THRESHOLD_KEYS.join(" or "))
    .option("--by <name>", "who (default: $USER)")
    .action((detector: string, key: string, opts: { by?: string }) => revertCommand(ctx, detector, key, opts));
}
