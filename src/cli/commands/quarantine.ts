import type { Command } from "commander";
import { ErrorCode, PitstopError } from "../../core/errors.js";
import { formatDuration, parseDuration } from "../../core/pipeline/duration.js";
import { createAuditLog } from "../../healing/audit/create-audit-log.js";
import { formatTime, table } from "../format.js";
import type { CommandContext } from "../io.js";
import { renderQuarantine, whenText } from "./decision-view.js";
import { withStore } from "./inspect.js";
import { limitOption, person } from "../heal-options.js";
import { actorOf } from "../../healing/loop/plan-step.js";

const MIN_MS = 60_000;
const DAY_MS = 24 * 60 * MIN_MS;
/** A quarantine hides a test: shorter than a minute means nothing, longer than a quarter is forgetting it. */
const MIN_QUARANTINE_MS = MIN_MS;
const MAX_QUARANTINE_MS = 90 * DAY_MS;

/** `--for`: a duration (`30m`, `12h`, `7d`, `1d12h`, seconds as a bare number), between 1m and 90d. */
export function parseQuarantineFor(text: string): number {
  const parsed = parseDuration(text);
  if (!parsed.ok) throw new PitstopError(ErrorCode.USAGE, `--for ${JSON.stringify(text)}: not a duration; use e.g. \`30m\`, \`12h\`, \`7d\` or \`1d12h\`, between 1m and 90d`);
  if (parsed.ms < MIN_QUARANTINE_MS || parsed.ms > MAX_QUARANTINE_MS) {
    throw new PitstopError(ErrorCode.USAGE, `--for ${JSON.stringify(text)} is ${formatDuration(parsed.ms)}: a quarantine lasts at least 1m and at most 90d`);
  }
  return parsed.ms;
}

/** Test ids are `<suite> > <name>` (core/run/test-case.ts); only an empty one is certainly wrong. */
function testIdArgument(testId: string): string {
  const id = testId.trim();
  if (id === "") throw new PitstopError(ErrorCode.USAGE, "the test id is empty: give it as the test report names it, e.g. `pitstop quarantine add \"suite > name\" --for 7d --reason …`");
  return id;
}


interface AddOptions {
  for: string;
  reason: string;
  by?: string;
}

async function addCommand(ctx: CommandContext, rawId: string, opts: AddOptions): Promise<void> {
  const testId = testIdArgument(rawId);
  const ms = parseQuarantineFor(opts.for);
  const reason = opts.reason.trim();
  if (reason === "") throw new PitstopError(ErrorCode.USAGE, "--reason is empty: say why the test is quarantined (people will ask when they see it skipped)");
  const by = person(ctx, opts.by);
  await withStore(ctx, async (store) => {
    const at = Date.now();
    const entry = await store.remedies.quarantineTest({ testId, reason, by, decisionId: null, at, expiresAt: at + ms });
    // An active quarantine is kept (its reason and author too) and only ever extended.
    const extended = entry.createdAt !== at || entry.by !== by || entry.reason !== reason;
    await createAuditLog({ store: store.audit, now: Date.now }).append({
      type: "QUARANTINE_ADDED",
      actor: actorOf(by),
      subject: { testId },
      data: { reason, durationMs: ms, expiresAt: entry.expiresAt, alreadyQuarantined: extended, ...(extended ? { since: entry.createdAt, quarantinedBy: entry.by } : {}) },
    });
    ctx.io.stdout.write(
      extended
        ? `${testId} was already in quarantine (since ${whenText(entry.createdAt, at)}, by ${entry.by}: ${entry.reason}); it now expires ${whenText(entry.expiresAt, at)}\n`
        : `quarantined ${testId} for ${formatDuration(ms)}, until ${formatTime(entry.expiresAt)}: it still runs and is reported, but no longer fails its job; \`pitstop quarantine release\` ends it early\n`,
    );
  });
}

async function releaseCommand(ctx: CommandContext, rawId: string, by: string): Promise<void> {
  const testId = testIdArgument(rawId);
  await withStore(ctx, async (store) => {
    const at = Date.now();
    const entry = await store.remedies.releaseQuarantine(testId, { by, at });
    if (entry === null) {
      throw new PitstopError(ErrorCode.USAGE, `${JSON.stringify(testId)} is not in quarantine (never quarantined, already released or expired): \`pitstop quarantine\` lists the active ones`);
    }
    await createAuditLog({ store: store.audit, now: Date.now }).append({
      type: "QUARANTINE_RELEASED",
      actor: actorOf(by),
      subject: { testId, ...(entry.decisionId ? { decisionId: entry.decisionId } : {}) },
      data: { reason: entry.reason, quarantinedBy: entry.by, since: entry.createdAt, expiresAt: entry.expiresAt },
    });
    ctx.io.stdout.write(`released ${testId} from quarantine (it was there since ${whenText(entry.createdAt, at)}, by ${entry.by}); its failures fail its job again\n`);
  });
}

/** `pitstop quarantine [list|add|release]`: quarantined tests, by hand or by the heal loop; `pitstop flaky`: their flake history. */
export function registerQuarantineCommands(program: Command, ctx: CommandContext): void {
  const quarantine = program
    .command("quarantine")
    .description("quarantined tests: they still run and are reported but no longer fail their job (list, add, release)");
  quarantine
    .command("list", { isDefault: true })
    .description("the tests in quarantine now (default command)")
    .option("--all", "also released and expired entries")
    .option("--json", "print as JSON")
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      await withStore(ctx, async (store) => {
        const now = Date.now();
        const entries = await store.remedies.listQuarantine(opts.all ? {} : { activeAt: now });
        if (opts.json) ctx.io.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
        else ctx.io.stdout.write(entries.length === 0 ? `no test is in quarantine${opts.all ? " and none ever was" : ""}\n` : renderQuarantine(entries, now, opts.all === true));
      });
    });
  quarantine
    .command("add")
    .description("quarantine a test for a while (between 1m and 90d)")
    .argument("<test-id>", "the test as reports name it: `<suite> > <name>`")
    .requiredOption("--for <duration>", "how long, e.g. 30m, 12h, 7d, 1d12h")
    .requiredOption("--reason <text>", "why")
    .option("--by <name>", "who (default: $USER)")
    .action((testId: string, opts: AddOptions) => addCommand(ctx, testId, opts));
  quarantine
    .command("release")
    .description("end a test's quarantine now: its failures fail its job again")
    .argument("<test-id>", "the quarantined test")
    .option("--by <name>", "who (default: $USER)")
    .action((testId: string, opts: { by?: string }) => releaseCommand(ctx, testId, person(ctx, opts.by)));

  program
    .command("flaky")
    .description("tests that failed and then passed on the same code, most flakes first, and whether each is in quarantine")
    .option("-n, --limit <n>", "how many", "20")
    .option("--json", "print as JSON")
    .action(async (opts: { limit: string; json?: boolean }) => {
      const limit = limitOption(opts.limit);
      await withStore(ctx, async (store) => {
        const now = Date.now();
        const [flaky, quarantined] = await Promise.all([store.remedies.listFlakyTests(limit), store.remedies.listQuarantine({ activeAt: now })]);
        const inQuarantine = new Set(quarantined.map((q) => q.testId));
        const rows = flaky.map((f) => ({ ...f, quarantined: inQuarantine.has(f.testId) }));
        if (opts.json) return void ctx.io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        if (rows.length === 0) return void ctx.io.stdout.write("no test has flaked yet (failed, then passed when rerun on the same code)\n");
        const cells = rows.map((f) => [f.testId, `${f.flakes} of ${f.runs}`, f.lastFlakeAt === null ? "-" : whenText(f.lastFlakeAt, now), f.quarantined ? "yes" : "no"]);
        ctx.io.stdout.write(table([["TEST", "PASSED ON RERUN", "LAST FLAKE", "QUARANTINED"], ...cells]));
      });
    });
}
