import http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";

export interface Backend {
  port: number;
  /** Consulted on every pick: a worker that exited gets no more requests. */
  isAlive(): boolean;
}

export interface Proxy {
  /** Binds the public port; rejects with the listen error (EADDRINUSE…). Returns the bound port. */
  listen(port: number): Promise<number>;
  /** Swaps the set of workers atomically: new requests go to `backends` only. */
  setBackends(backends: readonly Backend[]): void;
  /** Client requests received and not yet answered to the end (the request backlog). */
  inflight(): number;
  close(): Promise<void>;
}

// Requests without a body may be replayed on the next worker when one refuses the connection
// (it crashed since its last check): the client never sees that worker's death.
const REPLAYABLE = new Set(["GET", "HEAD", "OPTIONS"]);
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "upgrade"];

/**
 * The environment's public face: a reverse proxy on a fixed port that round-robins over the live
 * workers' internal ports, so restart, scale and rollback never change the URL. It lives in the
 * supervisor, which outlives pitstop.
 */
export function createProxy(opts: { host: string; environment: string; workerHost: string }): Proxy {
  let backends: readonly Backend[] = [];
  let next = 0;
  let inflight = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  const pick = (skip: ReadonlySet<Backend>): Backend | null => {
    const alive = backends.filter((b) => b.isAlive() && !skip.has(b));
    if (alive.length === 0) return null;
    next = (next + 1) % alive.length;
    return alive[next] ?? null;
  };

  const noWorker = (res: http.ServerResponse, why: string): void => {
    if (res.headersSent) return void res.destroy();
    const body = JSON.stringify({ error: `${why} for environment ${opts.environment}: see \`pitstop deploy status --env ${opts.environment}\`` });
    res.writeHead(why.startsWith("no worker") ? 503 : 502, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
  };

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, tried: Set<Backend>): void => {
    const b = pick(tried);
    if (b === null) return noWorker(res, tried.size === 0 ? "no worker is serving" : "every worker refused the request");
    tried.add(b);
    const headers: http.OutgoingHttpHeaders = { ...req.headers, "x-forwarded-for": req.socket.remoteAddress ?? "", "x-forwarded-proto": "http" };
    for (const h of HOP_BY_HOP) delete headers[h];
    const up = http.request({ host: opts.workerHost, port: b.port, method: req.method, path: req.url, headers, agent }, (r) => {
      const out: http.OutgoingHttpHeaders = { ...r.headers };
      for (const h of HOP_BY_HOP) delete out[h];
      res.writeHead(r.statusCode ?? 502, r.statusMessage, out);
      r.pipe(res);
      r.on("error", () => res.destroy());
    });
    const bodyless = REPLAYABLE.has(req.method ?? "") && req.headers["content-length"] === undefined && req.headers["transfer-encoding"] === undefined;
    up.on("error", (e: NodeJS.ErrnoException) => {
      if (res.headersSent) return void res.destroy();
      if (bodyless && e.code === "ECONNREFUSED") return forward(req, res, tried);
      noWorker(res, `worker on port ${b.port} failed: ${e.message}`);
    });
    res.on("close", () => {
      if (!res.writableFinished) up.destroy();
    });
    if (bodyless) up.end();
    else req.pipe(up);
  };

  const upgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const b = pick(new Set());
    if (b === null) return void socket.destroy();
    const up = net.connect(b.port, opts.workerHost, () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length > 0) up.write(head);
      up.pipe(socket).pipe(up);
    });
    up.on("error", () => socket.destroy());
    socket.on("error", () => up.destroy());
  };

  const server = http.createServer((req, res) => {
    inflight++;
    // 'close' comes once per response, answered or aborted.
    res.once("close", () => inflight--);
    forward(req, res, new Set());
  });
  server.on("upgrade", upgrade);
  server.on("clientError", (_e, socket) => socket.destroy());

  return {
    listen(port) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, opts.host, () => {
          server.off("error", reject);
          const addr = server.address();
          resolve(typeof addr === "object" && addr !== null ? addr.port : port);
        });
      });
    },
    inflight: () => inflight,
    setBackends(list) {
      const kept = new Set(list.map((b) => b.port));
      backends = [...list];
      // Idle keep-alive sockets to removed workers would hold up their graceful shutdown.
      for (const [name, sockets] of Object.entries(agent.freeSockets)) {
        const port = Number(name.split(":")[1]);
        if (!kept.has(port)) for (const s of sockets ?? []) s.destroy();
      }
    },
    close() {
      return new Promise((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      });
    },
  };
}
