import type { ExecOutcome, ExecSpec, Executor, OutputLine } from "../port.js";

/**
 * A scripted executor for scenario tests: no process runs; each step's environment says what
 * "happens". It passes the same executor conformance checks that make sense without processes.
 *
 *   FAKE_STDOUT / FAKE_STDERR   lines to print (separated by \n)
 *   FAKE_EXIT                   exit code (default 0)
 *   FAKE_SIGNAL                 end as killed by this signal
 *   FAKE_FAIL_ATTEMPTS          fail (FAKE_EXIT or 1) only while PITSTOP_ATTEMPT ≤ this, then succeed
 *   FAKE_SLEEP_MS               take this long (honours timeout and cancellation)
 */
export function createFakeExecutor(): Executor {
  return {
    name: "fake",
    async run(spec: ExecSpec, onLine: (l: OutputLine) => void, signal?: AbortSignal): Promise<ExecOutcome> {
      const started = Date.now();
      const env = spec.env;
      let outputBytes = 0;
      let truncatedBytes = 0;
      const emit = (stream: "stdout" | "stderr", text: string | undefined) => {
        for (const line of (text ?? "").split("\n").filter((l) => l !== "")) {
          const size = Buffer.byteLength(line) + 1;
          if (outputBytes + size > spec.outputLimitBytes) truncatedBytes += size;
          else {
            outputBytes += size;
            onLine({ stream, text: line });
          }
        }
      };
      emit("stdout", env.FAKE_STDOUT);
      emit("stderr", env.FAKE_STDERR);
      const sleep = Number(env.FAKE_SLEEP_MS ?? 0);
      const waited = await wait(sleep, spec.timeoutMs, signal);
      const base = { spawnError: null, durationMs: Date.now() - started, outputBytes, truncatedBytes, pid: null };
      if (waited === "cancelled") return { ...base, exitCode: null, signal: "SIGTERM", timedOut: false, cancelled: true };
      if (waited === "timeout") return { ...base, exitCode: null, signal: "SIGTERM", timedOut: true, cancelled: false };
      if (env.FAKE_SIGNAL) return { ...base, exitCode: null, signal: env.FAKE_SIGNAL, timedOut: false, cancelled: false };
      const failUntil = Number(env.FAKE_FAIL_ATTEMPTS ?? 0);
      const attempt = Number(env.PITSTOP_ATTEMPT ?? 1);
      const exit = Number(env.FAKE_EXIT ?? (failUntil > 0 ? 1 : 0));
      const exitCode = failUntil > 0 ? (attempt <= failUntil ? exit || 1 : 0) : exit;
      return { ...base, exitCode, signal: null, timedOut: false, cancelled: false };
    },
  };
}

function wait(ms: number, timeoutMs: number | null, signal?: AbortSignal): Promise<"done" | "timeout" | "cancelled"> {
  if (signal?.aborted) return Promise.resolve("cancelled");
  if (ms <= 0) return Promise.resolve("done");
  return new Promise((resolve) => {
    const finish = (r: "done" | "timeout" | "cancelled") => {
      clearTimeout(t1);
      if (t2) clearTimeout(t2);
      signal?.removeEventListener("abort", onAbort);
      resolve(r);
    };
    const onAbort = () => finish("cancelled");
    const t1 = setTimeout(() => finish("done"), ms);
    const t2 = timeoutMs !== null && timeoutMs < ms ? setTimeout(() => finish("timeout"), timeoutMs) : null;
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
