/**
 * A worker process for the multi-process tests and the Redis bench, and how to start one.
 *
 * The worker builds its own Redis limiter, prints `ready`, waits for `go` on stdin, then acquires
 * on one key with `concurrency` fibers for `durationMs` and prints one JSON line
 * `{ "admitted": [epoch ms…], "count": n }` (`admitted` empty when only counting). A fiber stops
 * once refused: it could not be admitted before the end of the run.
 *
 * Run as `tsx test/redis/worker.ts` (the tests) or as the bench bundle (`bench/main.ts` calls
 * {@link workerMain}), with the options as JSON in `GOVERNOR_REDIS_WORKER`.
 */
import { Duration, Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import * as readline from "node:readline"
import type { AcquireError } from "../../src/limiter/errors.js"
import * as Limit from "../../src/limiter/Limit.js"
import { RateLimiter } from "../../src/limiter/RateLimiter.js"
import { layer as layerRedis } from "../../src/redis/RedisLimiter.js"
import * as Redis from "../../src/redis/Redis.js"

export interface WorkerOptions {
  readonly url: string
  readonly prefix: string
  readonly key: string
  readonly capacity: number
  readonly refillAmount: number
  readonly periodMs: number
  readonly durationMs: number
  readonly concurrency: number
  readonly localBatch?: number | undefined
  /** `"times"` (default): every admission's time; `"count"`: only how many. */
  readonly record?: "times" | "count" | undefined
}

export interface WorkerResult {
  readonly admitted: ReadonlyArray<number>
  readonly count: number
}

/** The environment variable carrying a worker's options. */
export const WORKER_ENV = "GOVERNOR_REDIS_WORKER"

const nowMs = () => performance.timeOrigin + performance.now()

const program = (options: WorkerOptions, go: Promise<void>) =>
  Effect.gen(function*() {
    const limiter = yield* RateLimiter
    yield* limiter.snapshot(options.key) // connected and script loaded
    process.stdout.write("ready\n")
    yield* Effect.promise(() => go)
    const admitted: Array<number> = []
    let count = 0
    const times = options.record !== "count"
    const deadline = nowMs() + options.durationMs
    const loop: Effect.Effect<void, AcquireError> = Effect.suspend(() =>
      nowMs() >= deadline
        ? Effect.void
        : limiter.acquire({ key: options.key, maxWait: Duration.millis(Math.max(0, deadline - nowMs())) }).pipe(
          Effect.flatMap(() => {
            count++
            if (times) admitted.push(nowMs())
            return loop
          }),
          Effect.catchIf((e) => e._tag === "RateLimitExceeded", () => Effect.void)
        )
    )
    yield* Effect.all(Array.from({ length: options.concurrency }, () => loop), { concurrency: "unbounded", discard: true })
    return { admitted, count } satisfies WorkerResult
  })

/** Run a worker with `json` options; exits the process when done. */
export const workerMain = async (json: string): Promise<never> => {
  const options = JSON.parse(json) as WorkerOptions
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
  const live = layerRedis({ limits: [limit], throttle: false, localBatch: options.localBatch }).pipe(
    Layer.provide(Redis.layer({ url: options.url, prefix: options.prefix, commandTimeout: "10 seconds" }))
  )
  try {
    // The limiter's scope closes first (batched tokens go back), then the result is printed.
    const result = await Effect.runPromise(program(options, go).pipe(Effect.provide(live)))
    process.stdout.write(`${JSON.stringify(result)}\n`)
    process.exit(0)
  } catch (error) {
    process.stderr.write(`${String(error)}\n`)
    process.exit(1)
  }
}

/** A started worker: resolves `ready` once connected, runs on `go()`, then resolves `result`. */
export interface Worker {
  readonly ready: Promise<void>
  readonly go: () => void
  readonly result: Promise<WorkerResult>
}

/**
 * Start a worker: `argv` runs a program that calls {@link workerMain} (this file under tsx, or the
 * bench bundle).
 */
export const startWorker = (argv: ReadonlyArray<string>, options: WorkerOptions): Worker => {
  const child = spawn(process.execPath, [...argv], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, [WORKER_ENV]: JSON.stringify(options) }
  })
  let stderr = ""
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")))
  const lines = readline.createInterface({ input: child.stdout })
  let onReady: () => void = () => {}
  let onEarlyExit: (error: Error) => void = () => {}
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve
    onEarlyExit = reject
  })
  const result = new Promise<WorkerResult>((resolve, reject) => {
    lines.on("line", (line) => {
      if (line === "ready") onReady()
      else if (line.startsWith("{")) resolve(JSON.parse(line))
    })
    child.on("exit", (code) => {
      const error = new Error(`worker exited with ${code}: ${stderr}`)
      onEarlyExit(error)
      if (code !== 0) reject(error)
    })
  })
  return { ready, go: () => child.stdin.write("go\n"), result }
}

/** The arguments that run this file as a worker under tsx (the tests). */
export const tsxWorker: ReadonlyArray<string> = ["--import", "tsx", "test/redis/worker.ts"]

if (process.argv[1]?.endsWith("worker.ts") && process.env[WORKER_ENV] !== undefined) void workerMain(process.env[WORKER_ENV])
