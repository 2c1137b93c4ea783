/**
 * Turns what fetch threw into a reason people can act on. undici hides the socket error under
 * `cause` ("fetch failed" → "connect ECONNREFUSED 127.0.0.1:9"), and a timeout arrives as a
 * DOMException named TimeoutError, so walk the chain instead of printing the outer message.
 */
export function describeDeliveryError(e: unknown, what: string, timeoutMs: number, signal?: AbortSignal): string {
  const chain: unknown[] = [];
  for (let cur: unknown = e; cur !== undefined && cur !== null && chain.length < 5; cur = (cur as { cause?: unknown }).cause) chain.push(cur);
  const names = chain.map((c) => (c as { name?: unknown }).name);
  if (names.includes("TimeoutError")) return `${what} did not answer within ${timeoutMs} ms`;
  if (signal?.aborted || names.includes("AbortError")) return `${what}: delivery cancelled`;
  const deepest = [...chain].reverse().find((c) => c instanceof Error && c.message !== "fetch failed") ?? chain.at(-1);
  const code = chain.map((c) => (c as { code?: unknown }).code).find((c) => typeof c === "string" && /^E[A-Z_]+$/.test(c));
  const text = deepest instanceof Error ? deepest.message : String(deepest);
  const hint = code === "ECONNREFUSED" ? ": nothing listens there, check the URL" : code === "ENOTFOUND" || code === "EAI_AGAIN" ? ": the host name does not resolve, check the URL" : "";
  return `could not reach ${what}: ${text}${hint}`;
}
