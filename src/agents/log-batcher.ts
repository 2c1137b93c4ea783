/**
 * Collects a job's output lines and sends them in batches, so a chatty step costs one bus message
 * per batch rather than one per line. Lines keep their order; `seq` numbers them from 0.
 */
export interface LogBatcher {
  push(stream: "stdout" | "stderr" | "system", text: string): void;
  /** Sends what is buffered; resolves when sent. */
  flush(): Promise<void>;
  /** Last lines seen (already masked), newest last, for failure evidence. */
  tail(): string[];
  stop(): Promise<void>;
}

export interface LogBatcherOptions {
  send: (seq: number, lines: Array<{ stream: "stdout" | "stderr" | "system"; text: string; at: number }>) => Promise<void>;
  now: () => number;
  maxLines?: number;
  flushMs?: number;
  tailLines?: number;
}

export function createLogBatcher(opts: LogBatcherOptions): LogBatcher {
  const maxLines = opts.maxLines ?? 500;
  const flushMs = opts.flushMs ?? 100;
  const tailSize = opts.tailLines ?? 30;
  let buf: Array<{ stream: "stdout" | "stderr" | "system"; text: string; at: number }> = [];
  const tail: string[] = [];
  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let sending: Promise<void> = Promise.resolve();

  function flush(): Promise<void> {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (buf.length === 0) return sending.catch(() => undefined);
    const batch = buf;
    const first = seq;
    seq += batch.length;
    buf = [];
    // A failed send must not poison every later one: the chain goes on, the caller sees this failure.
    const attempt = sending.catch(() => undefined).then(() => opts.send(first, batch));
    sending = attempt;
    return attempt;
  }

  return {
    push(stream, text) {
      buf.push({ stream, text, at: opts.now() });
      if (stream !== "system" && text.trim() !== "") {
        tail.push(text);
        if (tail.length > tailSize) tail.shift();
      }
      if (buf.length >= maxLines) void flush().catch(() => undefined);
      else if (!timer) timer = setTimeout(() => void flush().catch(() => undefined), flushMs);
    },
    flush,
    tail: () => [...tail],
    async stop() {
      await flush();
    },
  };
}
