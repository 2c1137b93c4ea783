import http from "node:http";
import type { SupervisorRecord } from "./state-file.js";

export class ControlUnreachableError extends Error {
  override readonly name = "ControlUnreachableError";
}

/** GET on the supervisor's control API; rejects with ControlUnreachableError when nothing answers. */
export function controlGet(sup: SupervisorRecord, route: string, timeoutMs = 10_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port: sup.controlPort, path: route, agent: false, headers: { authorization: `Bearer ${sup.token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        if (res.statusCode !== 200) return reject(new ControlUnreachableError(`supervisor answered ${res.statusCode}: ${text}`));
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new ControlUnreachableError(`supervisor answered something that is not JSON: ${text.slice(0, 200)}`));
        }
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (e) => reject(new ControlUnreachableError(e.message)));
  });
}

/**
 * POST to a mutating route; streams `log` lines to `onLog` and resolves with the `result`.
 * Aborting `signal` closes the request, which the supervisor takes as a cancellation.
 */
export function controlPost(sup: SupervisorRecord, route: string, body: unknown, onLog: (line: string) => void, signal?: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body ?? {});
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      fn();
    };
    const req = http.request(
      { host: "127.0.0.1", port: sup.controlPort, path: route, method: "POST", agent: false, headers: { authorization: `Bearer ${sup.token}`, "content-type": "application/json", "content-length": Buffer.byteLength(payload) } },
      (res) => {
        let buf = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buf += chunk;
          for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            handleLine(line);
          }
        });
        res.on("end", () => settle(() => reject(new ControlUnreachableError(`the supervisor closed the answer to ${route} without a result`))));
        res.on("error", (e) => settle(() => reject(new ControlUnreachableError(e.message))));
      },
    );
    function handleLine(line: string): void {
      if (line.trim() === "") return;
      let msg: { log?: string; result?: unknown; error?: string };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        return;
      }
      if (typeof msg.log === "string") onLog(msg.log);
      else if (msg.error !== undefined) settle(() => reject(new Error(msg.error)));
      else if ("result" in msg) settle(() => resolve(msg.result));
    }
    function onAbort(): void {
      req.destroy();
      settle(() => reject(Object.assign(new Error("cancelled"), { name: "AbortError" })));
    }
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (e) => settle(() => reject(new ControlUnreachableError(e.message))));
    req.end(payload);
  });
}
