import { describe, expect, it } from "vitest"
import { spawn } from "node:child_process"
import * as readline from "node:readline"
import { skipRedis } from "./server.js"
import { uniquePrefix, useRedisServer } from "./util.js"

interface Worker {
  readonly ready: Promise<void>
  readonly go: () => void
  readonly result: Promise<{ readonly admitted: ReadonlyArray<number> }>
}

const startWorker = (options: Record<string, unknown>): Worker => {
  const child = spawn(process.execPath, ["--import", "tsx", "test/redis/worker.ts", JSON.stringify(options)], {
    stdio: ["pipe", "pipe", "pipe"]
  })
  let stderr = ""
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")))
  const lines = readline.createInterface({ input: child.stdout })
  let onReady: () => void = () => {}
  const ready = new Promise<void>((resolve) => (onReady = resolve))
  const result = new Promise<{ readonly admitted: ReadonlyArray<number> }>((resolve, reject) => {
    lines.on("line", (line) => {
      if (line === "ready") onReady()
      else if (line.startsWith("{")) resolve(JSON.parse(line))
    })
    child.on("exit", (code) => {
      if (code !== 0) reject(new Error(`worker exited with ${code}: ${stderr}`))
    })
  })
  return { ready, go: () => child.stdin.write("go\n"), result }
}

describe.skipIf(skipRedis)("several processes sharing one Redis limit", () => {
  const server = useRedisServer()

  it("never admit more than the limit allows over any window, together", async () => {
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
    const workers = [0, 1, 2].map(() => startWorker(options))
    await Promise.all(workers.map((w) => w.ready))
    const start = Date.now()
    for (const w of workers) w.go()
    const results = await Promise.all(workers.map((w) => w.result))
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
  }, 90_000)
})
