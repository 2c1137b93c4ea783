import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createRedisBus } from "../../src/bus/adapters/redis.js";
import { CONFORMANCE_VISIBILITY_MS, defineBusConformance } from "../../src/bus/conformance.js";
import { ErrorCode } from "../../src/core/errors.js";
import type { PitstopError } from "../../src/core/errors.js";

const url = process.env.PITSTOP_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `pitstop-test:${randomUUID()}:`;
const admin = new Redis(url, { lazyConnect: true });

afterAll(async () => {
  await admin.connect().catch(() => undefined);
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

defineBusConformance("redis", () => createRedisBus({ url, prefix, visibilityTimeoutMs: CONFORMANCE_VISIBILITY_MS }));

describe("redis bus", () => {
  it("fails fast with BUS_UNAVAILABLE and host:port when Redis is unreachable", async () => {
    const err = await createRedisBus({ url: "redis://127.0.0.1:1", visibilityTimeoutMs: 1000 }).then(
      () => undefined,
      (e: unknown) => e as PitstopError,
    );
    expect(err?.code).toBe(ErrorCode.BUS_UNAVAILABLE);
    expect(err?.message).toContain("127.0.0.1:1");
    expect(err?.message).toContain("redis-cli -h 127.0.0.1 -p 1 ping");
  });

  it("rejects a URL that is not one", async () => {
    const err = await createRedisBus({ url: "not a url", visibilityTimeoutMs: 1000 }).then(
      () => undefined,
      (e: unknown) => e as PitstopError,
    );
    expect(err?.code).toBe(ErrorCode.BUS_UNAVAILABLE);
  });

  it("keeps entries until every group acked them, then trims them", async () => {
    const bus = await createRedisBus({ url, prefix, visibilityTimeoutMs: 60_000, trimIntervalMs: 0 });
    const topic = `trim-${randomUUID()}`;
    await admin.connect().catch(() => undefined);
    for (let i = 0; i < 3; i++) await bus.publish(topic, i);
    const a = await bus.consume(topic, "a", "c");
    await bus.ensureGroup(topic, "b");
    await bus.ack(topic, "a", a.map((m) => m.id));
    expect(await admin.xlen(prefix + topic)).toBe(3); // b has not read them yet
    const b = await bus.consume(topic, "b", "c", { count: 2 });
    await bus.ack(topic, "b", b.map((m) => m.id));
    expect(await admin.xlen(prefix + topic)).toBe(1); // the third still waits for b
    const rest = await bus.consume(topic, "b", "c");
    await bus.ack(topic, "b", rest.map((m) => m.id));
    expect(await admin.xlen(prefix + topic)).toBe(0);
    await bus.close();
  });

  it("recreates a group deleted behind its back", async () => {
    const bus = await createRedisBus({ url, prefix, visibilityTimeoutMs: 60_000 });
    const topic = `gone-${randomUUID()}`;
    await admin.connect().catch(() => undefined);
    await bus.ensureGroup(topic, "g");
    await admin.del(prefix + topic);
    await bus.publish(topic, "after");
    expect((await bus.consume(topic, "g", "c")).map((m) => m.payload)).toEqual(["after"]);
    await bus.close();
  });

  it("serves concurrent blocking consumers, each on its own connection", async () => {
    const bus = await createRedisBus({ url, prefix, visibilityTimeoutMs: 60_000 });
    const topic = `many-${randomUUID()}`;
    await bus.ensureGroup(topic, "g");
    const waiting = Array.from({ length: 5 }, (_, i) => bus.consume(topic, "g", `c${i}`, { count: 1, blockMs: 20_000 }));
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 5; i++) await bus.publish(topic, i);
    const got = (await Promise.all(waiting)).flat().map((m) => m.payload as number);
    expect(got.sort()).toEqual([0, 1, 2, 3, 4]);
    await bus.close();
  }, 15_000);
});
