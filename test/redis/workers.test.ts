import { describe, expect, it } from "vitest"
import { Redis as IORedis } from "ioredis"
import { skipRedis } from "./server.js"
import { scriptCalls, uniquePrefix, useRedisServer } from "./util.js"
import { startWorker, tsxWorker } from "./worker.js"

describe.skipIf(skipRedis)("several processes sharing one Redis limit", () => {
  const server = useRedisServer()

  it("never admit more than the limit allows over any window, together, and wait without polling (<= 2 script calls per admission)", async () => {
    // 10 at once, then 20 per second, shared by 3 processes of 6 fibers each.
    const capacity = 10
    const refillAmount = 10
    const periodMs = 500
    const rate = refillAmount / periodMs
    const options = {
      url: server.url,
      prefix: uniquePrefix("procs"),
      key: "shared-api",
      capacity,
      refillAmount,
      periodMs,
      durationMs: 1500,
      concurrency: 6
    }
    const workers = [0, 1, 2].map(() => startWorker(tsxWorker, options))
    await Promise.all(workers.map((w) => w.ready))
    const client = new IORedis(server.url)
    await client.config("RESETSTAT")
    const start = Date.now()
    for (const w of workers) w.go()
    const results = await Promise.all(workers.map((w) => w.result))
    const calls = await scriptCalls(client)
    await client.quit()
    const times = results.flatMap((r) => r.admitted).sort((a, b) => a - b)
    const perWorker = results.map((r) => r.admitted.length)
    // Everyone got a share (the limit is shared, not owned by the fastest process).
    for (const n of perWorker) expect(n).toBeGreaterThan(3)
    // Over every window [t_i, t_j] the count admitted is at most capacity + rate * width. The times
    // are read by each process after its reply arrived, on a loaded machine: allow 100 ms of jitter.
    for (let i = 0; i < times.length; i++) {
      for (let j = i; j < times.length; j++) {
        const width = times[j]! - times[i]! + 100
        expect(j - i + 1).toBeLessThanOrEqual(capacity + rate * width + 1e-9)
      }
    }
    // Exact over the whole run: every admission happened (on the one machine clock that Redis and
    // the workers share) between "go" and the last reply read.
    const span = times[times.length - 1]! - start
    const allowed = capacity + rate * span
    expect(times.length).toBeLessThanOrEqual(Math.floor(allowed))
    // …and the limit was actually used: three processes did not each get a full limit, nor a third.
    expect(times.length).toBeGreaterThan(0.75 * allowed)
    // A waiting fiber books its slot and sleeps once: about one script call per admission (polling
    // took 8.5 with two processes), plus one refusal per fiber that could not finish in time.
    expect(calls / times.length).toBeLessThanOrEqual(2)
  }, 90_000)
})
