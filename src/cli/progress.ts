import type { OrchestratorEvent } from "../orchestrator/events.js";
import type { RunRecord } from "../store/port.js";
import { formatDuration } from "./format.js";

/**
 * Live progress for `pitstop run`. Not a TTY (CI logs, pipes): one line per job state change.
 * A TTY: a compact block, one line per job with a spinner and the last output line, redrawn in place.
 */
export interface Progress {
  onEvent(e: OrchestratorEvent): void;
  note(text: string): void;
  finish(run: RunRecord): void;
  stop(): void;
}

const ICON: Record<string, string> = {
  pending: "·",
  queued: "○",
  running: "▶",
  retrying: "↻",
  succeeded: "✓",
  failed: "✗",
  skipped: "-",
  cancelled: "⊘",
};
const SPIN = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

interface JobLine {
  name: string;
  status: string;
  attempt: number;
  since: number;
  detail: string;
}

export function createProgress(opts: { out: NodeJS.WritableStream & { columns?: number }; tty: boolean; now: () => number }): Progress {
  const { out } = opts;
  const jobs = new Map<string, JobLine>();
  let drawn = 0;
  let frame = 0;
  let timer: ReturnType<typeof setInterval> | null = null;
  const stamp = () => new Date(opts.now()).toISOString().slice(11, 19);
  const width = () => Math.max(40, (out.columns ?? 100) - 1);

  function plainLine(e: Extract<OrchestratorEvent, { type: "job.status" }>): string | null {
    const name = e.attempt > 1 ? `${e.name} (attempt ${e.attempt})` : e.name;
    const took = e.durationMs !== null ? ` in ${formatDuration(e.durationMs)}` : "";
    switch (e.status) {
      case "queued":
        return null;
      case "running":
        return `${ICON.running} ${name} started`;
      case "succeeded":
        return `${ICON.succeeded} ${name} succeeded${took}`;
      case "retrying":
        return `${ICON.retrying} ${name} failed${took}, retrying: ${e.reason ?? e.failureClass ?? ""}`;
      case "failed":
        return `${ICON.failed} ${name} failed${took}: ${e.reason ?? e.failureClass ?? ""}`;
      case "skipped":
        return `${ICON.skipped} ${e.name} skipped: ${e.reason ?? ""}`;
      case "cancelled":
        return `${ICON.cancelled} ${name} cancelled${took}`;
      default:
        return `${e.name} ${e.status}`;
    }
  }

  function redraw() {
    if (drawn > 0) out.write(`\x1b[${drawn}A`);
    const w = width();
    const lines = [...jobs.values()].map((j) => {
      const icon = j.status === "running" ? SPIN[frame % SPIN.length] : ICON[j.status] ?? "?";
      const secs = j.status === "running" || j.status === "retrying" ? ` ${formatDuration(opts.now() - j.since)}` : "";
      const att = j.attempt > 1 ? ` #${j.attempt}` : "";
      const text = `${icon} ${j.name}${att} ${j.status}${secs}${j.detail ? `  ${j.detail}` : ""}`;
      return `\x1b[2K${text.length > w ? `${text.slice(0, w - 1)}…` : text}`;
    });
    out.write(lines.map((l) => `${l}\n`).join(""));
    drawn = lines.length;
    frame++;
  }

  return {
    onEvent(e) {
      if (e.type === "run.started") {
        const run = e.run;
        for (const j of run.plan.jobs) if (!jobs.has(j.id)) jobs.set(j.id, { name: j.name, status: "pending", attempt: 0, since: opts.now(), detail: "" });
        const msg = `${e.adopted ? "resumed" : "started"} run #${run.number} (${run.id.slice(0, 8)}) of ${run.pipelineFile}: ${run.plan.jobs.length} job${run.plan.jobs.length === 1 ? "" : "s"}`;
        if (opts.tty) {
          out.write(`${msg}\n`);
          timer ??= setInterval(redraw, 100);
          timer.unref?.();
        } else out.write(`[${stamp()}] ${msg}\n`);
        return;
      }
      if (e.type === "job.status") {
        const j = jobs.get(e.jobId);
        if (j) Object.assign(j, { status: e.status, attempt: e.attempt, since: e.status === "running" ? e.at : j.since, detail: e.status === "running" ? "" : e.reason ?? "" });
        if (!opts.tty) {
          const line = plainLine(e);
          if (line) out.write(`[${stamp()}] ${line}\n`);
        }
        return;
      }
      if (e.type === "job.log" && opts.tty) {
        const j = jobs.get(e.jobId);
        const last = [...e.lines].reverse().find((l) => l.text.trim() !== "");
        if (j && last) j.detail = last.text.trim();
      }
    },
    note(text) {
      if (opts.tty && drawn > 0) {
        out.write(`\x1b[${drawn}A\x1b[0J`);
        drawn = 0;
      }
      out.write(`${opts.tty ? "" : `[${stamp()}] `}${text}\n`);
    },
    finish(run) {
      if (timer) clearInterval(timer);
      timer = null;
      if (opts.tty) redraw();
      const took = run.startedAt !== null && run.finishedAt !== null ? ` in ${formatDuration(run.finishedAt - run.startedAt)}` : "";
      const icon = ICON[run.status] ?? "";
      out.write(`${opts.tty ? "" : `[${stamp()}] `}${icon} run #${run.number} ${run.status}${took}${run.reason && run.status !== "succeeded" ? `: ${run.reason}` : ""}\n`);
      out.write(`  details: pitstop show ${run.number}    logs: pitstop logs ${run.number}\n`);
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
