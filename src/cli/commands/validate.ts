import path from "node:path";
import type { Command } from "commander";
import { formatIssue, pipelineJsonSchemaText } from "../format-pipeline.js";
import { readPipeline } from "../../app/read-pipeline.js";
import { ExitCode, type CommandContext } from "../io.js";

export function registerValidateCommand(program: Command, ctx: CommandContext): void {
  program
    .command("validate")
    .description("check a pipeline file and list every problem as file:line:column")
    .argument("[file]", "pipeline file", "pipeline.yml")
    .option("--json", "print the compiled plan (or the problems) as JSON")
    .action(async (file: string, opts: { json?: boolean }) => {
      const { io } = ctx;
      const r = await readPipeline(path.resolve(io.cwd, file), file);
      if (opts.json) io.stdout.write(`${JSON.stringify(r.plan ? { ok: true, plan: r.plan } : { ok: false, issues: r.issues }, null, 2)}\n`);
      if (!r.plan) {
        if (!opts.json) for (const i of r.issues) io.stderr.write(`${formatIssue(i)}\n`);
        io.stderr.write(`${file}: ${r.issues.length} problem${r.issues.length === 1 ? "" : "s"}\n`);
        ctx.setExit(ExitCode.usage);
        return;
      }
      if (!opts.json) {
        io.stdout.write(`${file}: ok (${r.plan.form} form, ${r.plan.jobs.length} job${r.plan.jobs.length === 1 ? "" : "s"})\n`);
        for (const j of r.plan.jobs) io.stdout.write(`  ${j.name} [${j.kind}]${j.needs.length ? ` needs ${j.needs.join(", ")}` : ""}\n`);
      }
      ctx.setExit(ExitCode.ok);
    });

  program
    .command("schema")
    .description("print the JSON Schema of pipeline files (for editors)")
    .action(() => {
      ctx.io.stdout.write(`${pipelineJsonSchemaText()}\n`);
    });
}
