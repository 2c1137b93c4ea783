import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Integration and e2e tests spawn real processes and talk to real Redis/PostgreSQL;
    // two cores on CI, so keep the pool small and the timeouts generous.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
