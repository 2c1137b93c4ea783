import http from "node:http";
import { timingSafeEqual } from "node:crypto";
import { coerceError } from "../../../core/errors.js";
import { CONTROL_VERSION, ControlPath, DeployRequestSchema, ScaleRequestSchema, type ControlLine } from "./control-protocol.js";
import type { Supervisor } from "./supervisor.js";

const MAX_BODY = 1024 * 1024;

export interface ControlServer {
  /** Listens on 127.0.0.1, a free port. */
  listen(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The supervisor's control API for pitstop (agent and CLI). Loopback only and bearer-token
 * protected: the token lives in the environment's state.json (mode 0600).
 */
export function createControlServer(o: { supervisor: Supervisor; token: string; onStopped: () => void }): ControlServer {
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((e) => {
      if (!res.headersSent) json(res, 500, { error: coerceError(e).message });
      else res.end(`${JSON.stringify({ error: coerceError(e).message })}\n`);
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!authorized(req.headers.authorization, o.token)) return json(res, 401, { error: "bad or missing control token" });
    const url = new URL(req.url ?? "/", "http://control");
    if (req.method === "GET" && url.pathname === ControlPath.status) return json(res, 200, { version: CONTROL_VERSION, pid: process.pid, status: o.supervisor.status() });
    if (req.method === "GET" && url.pathname === ControlPath.health) return json(res, 200, await o.supervisor.health());
    if (req.method !== "POST") return json(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    const body = await readBody(req);
    const ac = new AbortController();
    // The caller went away before the result: cancel (nothing changes before traffic switches).
    res.on("close", () => {
      if (!res.writableFinished) ac.abort();
    });
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    const send = (line: ControlLine): void => void res.write(`${JSON.stringify(line)}\n`);
    const progress = (log: string): void => send({ log });
    switch (url.pathname) {
      case ControlPath.deploy: {
        const parsed = DeployRequestSchema.safeParse(body);
        if (!parsed.success) return void res.end(`${JSON.stringify({ error: `bad deploy request: ${parsed.error.issues[0]?.message}` })}\n`);
        send({ result: await o.supervisor.deploy(parsed.data, ac.signal, progress) });
        break;
      }
      case ControlPath.rollback:
        send({ result: await o.supervisor.rollback(ac.signal, progress) });
        break;
      case ControlPath.restart:
        send({ result: await o.supervisor.restart(ac.signal, progress) });
        break;
      case ControlPath.scale: {
        const parsed = ScaleRequestSchema.safeParse(body);
        if (!parsed.success) return void res.end(`${JSON.stringify({ error: `bad scale request: ${parsed.error.issues[0]?.message}` })}\n`);
        send({ result: await o.supervisor.scale(parsed.data.workers, ac.signal, progress) });
        break;
      }
      case ControlPath.stop:
        send({ result: await o.supervisor.stop() });
        res.end(() => o.onStopped());
        return;
      default:
        send({ error: `no route POST ${url.pathname}` });
    }
    res.end();
  }

  return {
    listen() {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
          const addr = server.address();
          resolve(typeof addr === "object" && addr !== null ? addr.port : 0);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function authorized(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer /, "") ?? "");
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
}

async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new Error(`request body over ${MAX_BODY} bytes`);
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  return JSON.parse(text) as unknown;
}
