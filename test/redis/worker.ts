/**
 * A worker process for the multi-process tests: builds its own Redis limiter, prints `ready`, waits
 * for `go` on stdin, then acquires with `concurrency` fibers for `durationMs` and prints one JSON line
 * `{ "admitted": [epoch ms…] }`.
 *
 * Usage: tsx test/redis/worker.ts <json options>
 *   { url, prefix, key, capacity, refillAmount, periodMs, durationMs, concurrency }
 */
import { Duration, Effect, Layer } from "effect"
import * as readline from "node:readline"
import * as Limit from "../../src/limiter/Limit.js"
import { layer as layerRedis } from "../../src/redis/RedisLimiter.js"
import { RateLimiter } from "../../src/limiter/RateLimiter.js"
import * as Redis from "../../src/redis/Redis.js"

interface WorkerOptions {
  readonly url: string
  readonly prefix: string
  readonly key: string
  readonly capacity: number
  readonly refillAmount: number
  readonly periodMs: number
  readonly durationMs: number
  readonly concurrency: number
}

const options = JSON.parse(process.argv[2] ?? "{}") as WorkerOptions
const limit = Limit.custom({
  name: "shared",
  capacity: options.capacity,
  refillAmount: options.refillAmount,
  refillPeriod: Duration.millis(options.periodMs)
})

const go = new Promise<void>((resolve) => {
  const rl = readline.createInterface({ input: process.stdin })
  rl.on("line", (line) => {
    if (line.trim() === "go") {
      rl.close()
      resolve()
    }
  })
})

const program = Effect.gen(function*() {
  const limiter = yield* RateLimiter
  yield* limiter.snapshot(options.key) // connected and script loaded
  process.stdout.write("ready\n")
  yield* Effect.promise(() => go)
  const admitted: Array<number> = []
  const deadline = Date.now() + options.durationMs
  const loop: Effect.Effect<void, unknown> = Effect.suspend(() =>
    Date.now() >= deadline
      ? Effect.void
      : limiter.acquire({ key: options.key, maxWait: Duration.millis(Math.max(0, deadline - Date.now())) }).pipe(
        Effect.tap(() => Effect.sync(() => admitted.push(Date.now()))),
        Effect.catchTag("RateLimitExceeded", () => Effect.void),
        Effect.zipRight(loop)
      )
  )
  yield* Effect.all(Array.from({ length: options.concurrency }, () => loop), { concurrency: "unbounded" })
  process.stdout.write(`${JSON.stringify({ admitted })}\n`)
})

const live = layerRedis({ limits: [limit], throttle: false }).pipe(
  Layer.provide(Redis.layer({ url: options.url, prefix: options.prefix }))
)

Effect.runPromise(program.pipe(Effect.provide(live))).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${String(error)}\n`)
    process.exit(1)
  }
)
