import { Command, CommanderError } from "commander";
import { coerceError, ErrorCode, isPitstopError } from "../core/errors.js";
import { registerRunCommand } from "./commands/run.js";
import { registerValidateCommand } from "./commands/validate.js";
import { registerInspectCommands } from "./commands/inspect.js";
import { registerLogsCommand } from "./commands/logs.js";
import { registerInitCommand } from "./commands/init.js";
import { registerResumeCommand } from "./commands/resume.js";
import { registerArtifactsCommand } from "./commands/artifacts.js";
import { registerAuditCommand } from "./commands/audit.js";
import { registerDeployCommand } from "./commands/deploy.js";
import { registerOnboardCommand } from "./commands/onboard.js";
import { registerHealingCommands } from "./commands/healing.js";
import { registerDemoCommand } from "./commands/demo.js";
import { registerWatchCommand } from "./commands/watch.js";
import { registerDecisionCommands } from "./commands/decisions.js";
import { registerThresholdCommands } from "./commands/thresholds.js";
import { registerBreakerCommands } from "./commands/breaker.js";
import { ExitCode, type CliIO } from "./io.js";

/** Codes that mean the user gave bad input (exit 2); everything else unexpected is internal (exit 3). */
const USER_ERRORS: ReadonlySet<string> = new Set([
  ErrorCode.USAGE,
  ErrorCode.PIPELINE_INVALID,
  ErrorCode.PIPELINE_NOT_FOUND,
  ErrorCode.SECRET_MISSING,
  ErrorCode.RUN_NOT_FOUND,
  ErrorCode.JOB_NOT_FOUND,
  ErrorCode.DATA_DIR_UNWRITABLE,
  ErrorCode.DATA_DIR_LOCKED,
  ErrorCode.SANDBOX_UNAVAILABLE,
  ErrorCode.PATH_ESCAPE,
  ErrorCode.STORE_UNAVAILABLE,
  ErrorCode.BUS_UNAVAILABLE,
  ErrorCode.APPROVAL_INVALID,
  ErrorCode.DECISION_NOT_FOUND,
  ErrorCode.POLICY_INVALID,
]);

export function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command();
  program
    .name("pitstop")
    .description("Self-hosted CI/CD orchestrator that heals itself")
    .version("0.1.0")
    .option("--data-dir <dir>", "where runs, logs and the database live (env PITSTOP_DATA_DIR, default .pitstop)")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const ctx = { io, setExit, globals: () => program.opts<{ dataDir?: string }>() };
  registerInitCommand(program, ctx);
  registerValidateCommand(program, ctx);
  registerRunCommand(program, ctx);
  registerInspectCommands(program, ctx);
  registerLogsCommand(program, ctx);
  registerResumeCommand(program, ctx);
  registerArtifactsCommand(program, ctx);
  registerAuditCommand(program, ctx);
  registerDeployCommand(program, ctx);
  registerOnboardCommand(program, ctx);
  registerHealingCommands(program, ctx);
  registerDecisionCommands(program, ctx);
  registerThresholdCommands(program, ctx);
  registerBreakerCommands(program, ctx);
  registerDemoCommand(program, ctx);
  registerWatchCommand(program, ctx);
  return program;
}

/** Entry point: returns the exit code (0 ok, 1 pipeline failed, 2 bad input, 3 internal error). */
export async function main(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  let code: number = ExitCode.ok;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return ExitCode.ok;
      return ExitCode.usage;
    }
    const err = coerceError(e);
    if (isPitstopError(e) && USER_ERRORS.has(err.code)) {
      io.stderr.write(`pitstop: ${err.message}\n`);
      return ExitCode.usage;
    }
    io.stderr.write(`pitstop: internal error: ${err.message}\n${err.cause instanceof Error ? `${err.cause.stack}\n` : ""}`);
    return ExitCode.internal;
  }
}

function defaultIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd(), isTTY: Boolean(process.stdout.isTTY) };
}
