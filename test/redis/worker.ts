/**
 * A worker process for the multi-process tests and the Redis bench, and how to start one.
 *
 * The worker builds its own Redis limiter (on a standalone server, or on a cluster given its seed
 * nodes), prints `ready`, waits for `go` on stdin, then acquires with `concurrency` fibers for
 * `durationMs` and prints one JSON line `{ "admitted": [epoch ms…], "asked": [epoch ms…],
 * "keyOf": [key index…], "count": n }` (`admitted` and `asked` empty when only counting; `keyOf`
 * empty on one key). With `keys: n` the acquires go to n keys in turn, from a random first one (so processes do not march in step). A fiber stops once
 * refused: it could not be admitted before the end of the run. `go {json}` runs such a round with
 * some options changed and keeps the worker for more (a process starts in ~0.5 s: the bench's matrix
 * reuses its workers), until `exit`.
 *
 * Run as `tsx test/redis/worker.ts` (the tests) or as the bench bundle (`bench/main.ts` calls
 * {@link workerMain}), with the options as JSON in `GOVERNOR_REDIS_WORKER`.
 */
import { Duration, Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import * as readline from "node:readline"
import type { AcquireError } from "../../src/limiter/errors.js"
import * as Limit from "../../src/limiter/Limit.js"
import { RateLimiter, type RateLimiterShape } from "../../src/limiter/RateLimiter.js"
import * as LimitsResolver from "../../src/limits/LimitsResolver.js"
import { layerLimitsStore } from "../../src/redis/limitsStore.js"
import { layer as layerRedis } from "../../src/redis/RedisLimiter.js"
import { layerTenantLimiter } from "../../src/redis/tenantLimiter.js"
import { TenantLimiter } from "../../src/tenants/TenantLimiter.js"
import * as Redis from "../../src/redis/Redis.js"

export interface WorkerOptions {
  /** A standalone server's URL, or… */
  readonly url?: string | undefined
  /** …a cluster's seed nodes (`host:port`). */
  readonly seeds?: ReadonlyArray<string> | undefined
  readonly prefix: string
  readonly key: string
  /** How many keys (`key-0`…): 1 (default) acquires on `key` itself. */
  readonly keys?: number | undefined
  /**
   * Acquire through a tenant limiter instead (limits and parents read from the Redis limits store, as
   * stored by the test), on these entities in turn (`keyOf` indexes them) for resource `key`.
   */
  readonly entities?: ReadonlyArray<string> | undefined
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
  /** When each admission in `admitted` was asked for: it happened in between. */
  readonly asked: ReadonlyArray<number>
  /** The key index of each admission in `admitted` (empty on one key). */
  readonly keyOf: ReadonlyArray<number>
  readonly count: number
}

/** The key of the `i`-th of `keys` keys named after `key` (`key` itself when there is one). */
export const keyName = (key: string, keys: number, i: number): string => (keys <= 1 ? key : `${key}-${i}`)

/** The environment variable carrying a worker's options. */
export const WORKER_ENV = "GOVERNOR_REDIS_WORKER"

const nowMs = () => performance.timeOrigin + performance.now()

/** One round: `concurrency` fibers acquiring until `durationMs` has passed. */
const round = (limiter: RateLimiterShape, options: WorkerOptions) =>
  Effect.gen(function*() {
    const keys = options.entities?.length ?? options.keys ?? 1
    const admitted: Array<number> = []
    const asked: Array<number> = []
    const keyOf: Array<number> = []
    let count = 0
    let next = Math.floor(Math.random() * keys)
    const times = options.record !== "count"
    const deadline = nowMs() + options.durationMs
    const loop: Effect.Effect<void, AcquireError> = Effect.suspend(() => {
      if (nowMs() >= deadline) return Effect.void
      const i = next++ % keys
      const askedAt = nowMs()
      const key = options.entities?.[i] ?? keyName(options.key, keys, i)
      return limiter.acquire({ key, maxWait: Duration.millis(Math.max(0, deadline - nowMs())) }).pipe(
        Effect.flatMap(() => {
          count++
          if (times) admitted.push(nowMs())
          if (times) asked.push(askedAt)
          if (times && keys > 1) keyOf.push(i)
          return loop
        }),
        Effect.catchIf((e) => e._tag === "RateLimitExceeded", () => Effect.void)
      )
    })
    yield* Effect.all(Array.from({ length: options.concurrency }, () => loop), { concurrency: "unbounded", discard: true })
    return { admitted, asked, keyOf, count } satisfies WorkerResult
  })

/** What a round may change (`go {json}`): the keys, their number, its length. */
export type RoundChanges = Partial<Pick<WorkerOptions, "key" | "keys" | "durationMs" | "concurrency">>

/** The commands read from stdin, one per line, in order. */
const commands = (): (() => Promise<string>) => {
  const queue: Array<string> = []
  const waiting: Array<(line: string) => void> = []
  const rl = readline.createInterface({ input: process.stdin })
  rl.on("line", (line) => {
    const next = waiting.shift()
    if (next !== undefined) next(line.trim())
    else queue.push(line.trim())
  })
  rl.on("close", () => waiting.splice(0).forEach((w) => w("exit")))
  return () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise((resolve) => waiting.push(resolve)))
}

/**
 * Run a worker with `json` options; exits the process when done. `go` runs the one last round: its
 * result is printed once the limiter's scope has closed (batched tokens went back). `go {json}` runs
 * a round with those changes and prints its result at once, for more rounds; `exit` ends.
 */
export const workerMain = async (json: string): Promise<never> => {
  const options = JSON.parse(json) as WorkerOptions
  const limit = Limit.custom({
    name: "shared",
    capacity: options.capacity,
    refillAmount: options.refillAmount,
    refillPeriod: Duration.millis(options.periodMs)
  })
  const next = commands()
  const connection = { prefix: options.prefix, commandTimeout: "10 seconds" } as const
  const redis = options.seeds === undefined ? Redis.layer({ url: options.url, ...connection }) : Redis.layerCluster({ nodes: options.seeds, ...connection })
  // A tenant limiter only when asked for: its layers must not add calls to the plain limiter's count.
  // Either layer's option error: the worker only prints what failed.
  const withLimiter = <A, E>(use: (limiter: RateLimiterShape) => Effect.Effect<A, E>): Effect.Effect<A, unknown> =>
    options.entities === undefined
      ? Effect.flatMap(RateLimiter, use).pipe(
        Effect.provide(layerRedis({ limits: [limit], throttle: false, localBatch: options.localBatch }).pipe(Layer.provide(redis)))
      )
      : Effect.flatMap(TenantLimiter, (t) => use(t.forResource(options.key))).pipe(
        Effect.provide(
          layerTenantLimiter({ throttle: false }).pipe(
            Layer.provide(LimitsResolver.layer({ ttl: "1 minute" })),
            Layer.provide(layerLimitsStore()),
            Layer.provide(redis)
          )
        )
      )
  const rounds = withLimiter((limiter) =>
    Effect.gen(function*() {
      yield* limiter.snapshot(options.entities?.[0] ?? keyName(options.key, options.keys ?? 1, 0)) // connected and script loaded
      process.stdout.write("ready\n")
      for (;;) {
        const command = yield* Effect.promise(next)
        if (command === "go") return yield* round(limiter, options)
        if (command.startsWith("go ")) {
          const result = yield* round(limiter, { ...options, ...(JSON.parse(command.slice(3)) as RoundChanges) })
          process.stdout.write(`${JSON.stringify(result)}\n`)
        } else if (command === "exit") return undefined
      }
    })
  )
  try {
    const result = await Effect.runPromise(rounds)
    if (result !== undefined) process.stdout.write(`${JSON.stringify(result)}\n`)
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
  /** Run a round with `changes` and keep the worker for more (then `exit`). */
  readonly round: (changes: RoundChanges) => Promise<WorkerResult>
  /** End a worker (kept for rounds, or never told to go); resolves once it exited. */
  readonly exit: () => Promise<void>
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
  // A worker that exited on its own (after `go`) cannot read an `exit` sent meanwhile: no matter.
  child.stdin.on("error", () => {})
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")))
  const lines = readline.createInterface({ input: child.stdout })
  // Results answer the rounds in order; an early exit fails whatever is still waiting.
  const pending: Array<{ readonly resolve: (r: WorkerResult) => void; readonly reject: (e: Error) => void }> = []
  const expect = () => new Promise<WorkerResult>((resolve, reject) => pending.push({ resolve, reject }))
  let onReady: () => void = () => {}
  let onExit: (error: Error | undefined) => void = () => {}
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve
    onExit = (error) => (error === undefined ? undefined : reject(error))
  })
  const exited = new Promise<void>((resolve) => {
    child.on("exit", (code) => {
      const error = code === 0 ? undefined : new Error(`worker exited with ${code}: ${stderr}`)
      onExit(error ?? new Error(`worker exited before it was ready: ${stderr}`))
      for (const p of pending.splice(0)) p.reject(error ?? new Error("worker exited without a result"))
      resolve()
    })
  })
  lines.on("line", (line) => {
    if (line === "ready") onReady()
    else if (line.startsWith("{")) pending.shift()?.resolve(JSON.parse(line))
  })
  let result: Promise<WorkerResult> | undefined
  const send = (line: string) => child.stdin.write(`${line}\n`)
  return {
    ready,
    go: () => {
      result ??= expect()
      send("go")
    },
    get result() {
      return (result ??= expect())
    },
    round: (changes) => {
      const answer = expect()
      send(`go ${JSON.stringify(changes)}`)
      return answer
    },
    exit: () => {
      if (child.exitCode === null && child.signalCode === null) send("exit")
      return exited
    }
  }
}
/** The arguments that run this file as a worker under tsx (the tests). */
export const tsxWorker: ReadonlyArray<string> = ["--import", "tsx", "test/redis/worker.ts"]

if (process.argv[1]?.endsWith("worker.ts") && process.env[WORKER_ENV] !== undefined) void workerMain(process.env[WORKER_ENV])
