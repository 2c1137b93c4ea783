import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface CapturedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body exactly as received (signatures are computed over these bytes). */
  body: string;
}

export interface CaptureServer {
  url: (path?: string) => string;
  requests: CapturedRequest[];
  close: () => Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1:<random port> that records every request and answers with
 * `answer(req)` (status, body, headers), or never answers when `answer` returns null.
 */
export async function startCaptureServer(
  answer: (req: CapturedRequest) => { status: number; body?: string; headers?: Record<string, string> } | null = () => ({ status: 200, body: "ok" }),
): Promise<CaptureServer> {
  const requests: CapturedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const captured = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      requests.push(captured);
      const a = answer(captured);
      if (a === null) return; // hang: the client's timeout must give up
      res.writeHead(a.status, { "content-type": "text/plain", ...a.headers });
      res.end(a.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (p = "/") => `http://127.0.0.1:${port}${p}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on 127.0.0.1 where nothing listens: a port we bound and released. */
export async function closedPortUrl(path = "/"): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}${path}`;
}
