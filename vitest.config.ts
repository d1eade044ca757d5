import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Real loopback servers and child processes (Redis) need more than the default 5 s
    // on a loaded machine; rate logic itself runs on TestClock and takes milliseconds.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    setupFiles: ["test/fcSeed.ts", "test/yieldBetweenTests.ts"]
  }
})
