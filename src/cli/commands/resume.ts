import type { Command } from "commander";
import { RunStatus } from "../../core/run/status.js";
import { createApp } from "../../app/create-app.js";
import { loadConfig } from "../../config/config.js";
import { ExitCode, type CommandContext } from "../io.js";
import { createProgress } from "../progress.js";

/** `pitstop resume`: adopt and finish the runs a pitstop that died left in flight. */
export function registerResumeCommand(program: Command, ctx: CommandContext): void {
  program
    .command("resume")
    .description("finish the runs left in flight by a pitstop that was killed")
    .action(async () => {
      const { io } = ctx;
      const config = loadConfig({ cwd: io.cwd, env: io.env, flags: { dataDir: ctx.globals().dataDir } });
      const app = await createApp(config, { agents: true, agentEnv: io.env });
      const progress = createProgress({ out: io.stdout, tty: io.isTTY, now: app.now });
      const off = app.orchestrator.on(progress.onEvent);
      try {
        const { adopted } = await app.start();
        if (adopted.length === 0) {
          io.stdout.write("nothing to resume: no run is left in flight\n");
          return;
        }
        const finals = await Promise.all(adopted.map((id) => app.orchestrator.waitForRun(id)));
        for (const f of finals) progress.finish(f);
        ctx.setExit(finals.every((f) => f.status === RunStatus.succeeded) ? ExitCode.ok : ExitCode.pipelineFailed);
      } finally {
        off();
        progress.stop();
        await app.stop();
      }
    });
}
