import type { Command } from "commander";
import { ENVIRONMENTS, type Environment } from "../../core/healing/environment.js";
import { createAuditLog } from "../../healing/audit/create-audit-log.js";
import { actorOf } from "../../healing/loop/plan-step.js";
import type { BreakerState } from "../../store/port.js";
import { formatTime, table } from "../format.js";
import { environmentOption, person } from "../heal-options.js";
import type { CommandContext } from "../io.js";
import { withStore } from "./inspect.js";

function stateText(b: BreakerState): string {
  return b.tripped ? "OPEN" : "closed";
}

/**
 * `pitstop breaker [status]` / `pitstop breaker reset --env <env>`: the global circuit breaker of
 * each environment (policy.yml `circuit_breaker`). Once it opens the loop takes no automatic action
 * there until a person resets it, and the reset is audited (BREAKER_RESET).
 */
export function registerBreakerCommands(program: Command, ctx: CommandContext): void {
  const breaker = program.command("breaker").description("the healing circuit breaker of each environment: see it, reset it by hand once it opened");

  breaker
    .command("status", { isDefault: true })
    .description("open or closed, since when and why, per environment (default command)")
    .option("--json", "print as JSON")
    .action(async (opts: { json?: boolean }) => {
      await withStore(ctx, async (store) => {
        const states = await Promise.all(ENVIRONMENTS.map(async (environment) => ({ environment, ...(await store.healing.getBreaker(environment)) })));
        if (opts.json) return void ctx.io.stdout.write(`${JSON.stringify(states, null, 2)}\n`);
        const rows = states.map((s) => [s.environment, stateText(s), formatTime(s.trippedAt), s.reason ?? "-", s.resetAt === null ? "-" : `${formatTime(s.resetAt)} by ${s.resetBy ?? "?"}`]);
        ctx.io.stdout.write(table([["ENV", "BREAKER", "OPENED", "WHY", "LAST RESET"], ...rows]));
        const open = states.filter((s) => s.tripped).map((s) => s.environment);
        if (open.length > 0) ctx.io.stdout.write(`\nno automatic remediation in ${open.join(", ")} until reset: pitstop breaker reset --env ${open[0]}\n`);
      });
    });

  breaker
    .command("reset")
    .description("close an environment's breaker: the loop acts again, the breaker counting remediations from the reset")
    .requiredOption("--env <env>", `environment (${ENVIRONMENTS.join(", ")})`)
    .option("--by <name>", "who resets it (default: $USER)")
    .action(async (opts: { env: string; by?: string }) => {
      const environment: Environment = environmentOption("--env", opts.env);
      const by = person(ctx, opts.by);
      await withStore(ctx, async (store) => {
        const before = await store.healing.getBreaker(environment);
        if (!before.tripped) {
          ctx.io.stdout.write(`the breaker of ${environment} is closed; nothing to reset\n`);
          return;
        }
        const at = Date.now();
        await store.healing.resetBreaker(environment, at, by);
        await createAuditLog({ store: store.audit, now: Date.now }).append({ type: "BREAKER_RESET", actor: actorOf(by), subject: { env: environment }, data: { trippedAt: before.trippedAt, reason: before.reason } });
        ctx.io.stdout.write(`reset the breaker of ${environment} (open since ${formatTime(before.trippedAt)}: ${before.reason ?? "no reason recorded"})\n`);
      });
    });
}
