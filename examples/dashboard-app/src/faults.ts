import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Fault hooks for pitstop's self-healing demo: real latency, CPU overload and crashes, injected
 * over HTTP. They exist only when the process was started with PITSTOP_FAULTS=1, and even then
 * answer only peers on the loopback interface, so a production deploy (no PITSTOP_FAULTS) or a
 * remote caller cannot poke them: both get the same 404 as any unknown path.
 *
 *   POST /__faults/latency {"ms": n}  every later request waits n ms before it is served
 *   POST /__faults/cpu {"ms": n}      burn CPU for n ms (overload), in slices so requests still trickle through
 *   POST /__faults/crash              answer 202, then exit with code 1
 *   POST /__faults/unhealthy          /health answers 503 from now on (a release that turns bad while live)
 *   POST /__faults/clear              latency 0, stop any CPU burn, /health healthy again
 */

export const FAULT_PREFIX = "/__faults";

/** Upper bound for `ms`: a fault that outlives a demo by hours is a mistake, not a scenario. */
const MAX_FAULT_MS = 600_000;
/** CPU is burnt in slices this long, yielding between them, so /health is slow but not dead. */
const BURN_SLICE_MS = 100;

export interface FaultHooks {
  /** Delay to apply before serving a normal request (0 when no latency fault is set). */
  latencyMs(): number;
  /** True after POST /__faults/unhealthy until /clear: /health answers 503. */
  unhealthy(): boolean;
  /** Serves a /__faults request; the caller has already checked the path prefix. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export interface FaultHooksOptions {
  /** Called after the crash answer was sent; server.ts passes `() => process.exit(1)`. */
  crash: () => void;
}

export class FaultRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.has(address);
}

async function readMs(req: IncomingMessage): Promise<number> {
  let text = "";
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 1024) throw new FaultRequestError(413, "fault body too large; send {\"ms\": <integer>}");
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new FaultRequestError(400, "fault body must be JSON like {\"ms\": 500}");
  }
  const ms = (body as { ms?: unknown } | null)?.ms;
  if (typeof ms !== "number" || !Number.isInteger(ms) || ms < 0 || ms > MAX_FAULT_MS) {
    throw new FaultRequestError(400, `"ms" must be an integer from 0 to ${MAX_FAULT_MS}`);
  }
  return ms;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": String(Buffer.byteLength(text)), "cache-control": "no-store" });
  res.end(text);
}

export function createFaultHooks(options: FaultHooksOptions): FaultHooks {
  let latency = 0;
  let unhealthy = false;
  // Bumped by clear (and by a new burn) so a running burn stops at its next slice.
  let burnGeneration = 0;

  function burn(ms: number): void {
    const generation = ++burnGeneration;
    const deadline = performance.now() + ms;
    const slice = (): void => {
      if (generation !== burnGeneration) return;
      const end = Math.min(deadline, performance.now() + BURN_SLICE_MS);
      while (performance.now() < end) {
        // Busy wait on purpose: this is the overload.
      }
      if (performance.now() < deadline) setImmediate(slice);
    };
    setImmediate(slice);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST") throw new FaultRequestError(405, "fault hooks accept POST only");
    const action = new URL(req.url ?? "/", "http://127.0.0.1").pathname.slice(FAULT_PREFIX.length);
    switch (action) {
      case "/latency":
        latency = await readMs(req);
        return reply(res, 200, { fault: "latency", ms: latency });
      case "/cpu": {
        const ms = await readMs(req);
        // Answer first: the burn blocks the event loop slice by slice.
        res.once("finish", () => burn(ms));
        return reply(res, 202, { fault: "cpu", ms, pid: process.pid });
      }
      case "/crash":
        res.once("finish", () => options.crash());
        return reply(res, 202, { fault: "crash", pid: process.pid, exitCode: 1 });
      case "/unhealthy":
        unhealthy = true;
        return reply(res, 200, { fault: "unhealthy", pid: process.pid });
      case "/clear":
        latency = 0;
        unhealthy = false;
        burnGeneration++;
        return reply(res, 200, { fault: "clear" });
      default:
        throw new FaultRequestError(404, `unknown fault ${action}; use latency, cpu, crash, unhealthy or clear`);
    }
  }

  return { latencyMs: () => latency, unhealthy: () => unhealthy, handle };
}
