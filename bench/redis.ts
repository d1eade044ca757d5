/**
 * Bench group "redis": Redis rate-limit decisions per second with 1, 16 and 64 acquires in flight,
 * through our Redis limiter, `rate-limiter-flexible`'s `RateLimiterRedis` and `@effect/experimental`'s
 * `RateLimiter` Redis store (token bucket), all against one private redis-server started here, in
 * the same run. Limits are large enough that nobody ever waits: this measures the cost of a decision.
 *
 * Each library gets its own ioredis connection (no auto-pipelining for anyone; ours keeps its
 * production settings: a command timeout, no offline queue), the same key, the same in-flight
 * counts, and the same measurement shape (`concurrency` lanes deciding in a loop, interleaved
 * rounds, best of three). What each decision does differs, to our cost: ours reads Redis `TIME` and
 * runs a token bucket with TTL, cooldown, pacing and throttling checks; rate-limiter-flexible runs
 * a fixed-window counter (SET NX EX, INCRBY, PTTL); @effect/experimental's token bucket takes `now`
 * from the client's clock and keeps two keys without TTL.
 *
 * Then a 3-level hierarchy against a flat key (`redisHierarchy.ts`); 8 processes on one key
 * (`redisProcesses.ts`): script calls per admission while they wait, batched tokens against one round
 * trip per decision, and how far batches go beyond a limit; and the matrix of 1, 2, 4, 8 processes on
 * one key and on 1,000 keys, standalone and cluster (`redisMatrix.ts`). Each is a part that runs
 * alone: `npm run bench -- redis:libraries` (`:hierarchy`, `:processes`, `:matrix`). `--quick` takes
 * the best of one round instead of three, halves the 8-process runs and runs the matrix with 1 and 8
 * processes only.
 */
import * as ExperimentalRateLimiter from "@effect/experimental/RateLimiter"
import * as ExperimentalRedis from "@effect/experimental/RateLimiter/Redis"
import { Effect, Layer, ManagedRuntime } from "effect"
import { Redis as IORedis } from "ioredis"
import { RateLimiterRedis } from "rate-limiter-flexible"
import * as Limit from "../src/limiter/Limit.js"
import { RateLimiter } from "../src/limiter/RateLimiter.js"
import { layer as layerRedis } from "../src/redis/RedisLimiter.js"
import * as Redis from "../src/redis/Redis.js"
import { type RedisServer, startRedisServer } from "../test/redis/server.js"
import { type BenchGroup, type BenchRow, headline, runsPart } from "./harness.js"
import { hierarchyVsFlat } from "./redisHierarchy.js"
import { processMatrix } from "./redisMatrix.js"
import { multiProcess } from "./redisProcesses.js"

const CONCURRENCY = [1, 16, 64] as const
const DECISIONS: Record<(typeof CONCURRENCY)[number], number> = { 1: 4_000, 16: 20_000, 64: 30_000 }

/**
 * Decisions per second of an Effect `decide` with `concurrency` in flight, `total` calls in all: the
 * same shape as {@link throughput} (`concurrency` lanes, each one fiber deciding in a loop), so the
 * Effect libraries pay for their decisions, not for one forked fiber per call of the harness.
 */
const throughputEffect = async <A, E>(
  runtime: ManagedRuntime.ManagedRuntime<never, never>,
  total: number,
  concurrency: number,
  decide: Effect.Effect<A, E>
): Promise<number> => {
  const run = (n: number) => {
    let next = 0
    const lane: Effect.Effect<void, E> = Effect.suspend(() => {
      if (next >= n) return Effect.void
      next++
      return Effect.zipRight(decide, lane)
    })
    return runtime.runPromise(Effect.all(Array.from({ length: concurrency }, () => lane), { concurrency: "unbounded", discard: true }))
  }
  await run(Math.max(concurrency, Math.floor(total / 10)))
  const start = performance.now()
  await run(total)
  return total / ((performance.now() - start) / 1000)
}

/** Decisions per second of `decide` with `concurrency` calls in flight, `total` calls in all. */
const throughput = async (total: number, concurrency: number, decide: () => Promise<unknown>): Promise<number> => {
  const run = async (n: number) => {
    let next = 0
    const lane = async () => {
      while (next < n) {
        next++
        await decide()
      }
    }
    await Promise.all(Array.from({ length: concurrency }, lane))
  }
  await run(Math.max(concurrency, Math.floor(total / 10)))
  const start = performance.now()
  await run(total)
  return total / ((performance.now() - start) / 1000)
}

/** Runs the Effect libraries' decisions (no resources: never disposed). */
const plain = ManagedRuntime.make(Layer.empty)

/** The three contenders' decisions on the private server, each on its own connection, and how to close them. */
const contenders = async (server: RedisServer) => {
  // Ours.
  const ours = ManagedRuntime.make(
    layerRedis({ limits: [Limit.perHour("bench", 1e9)], throttle: false }).pipe(
      Layer.provide(Redis.layer({ url: server.url, prefix: "bench-ours", commandTimeout: "10 seconds" }))
    )
  )
  const limiter = await ours.runPromise(RateLimiter)

  // rate-limiter-flexible.
  const flexClient = new IORedis(server.url)
  const flex = new RateLimiterRedis({ storeClient: flexClient, points: 1e9, duration: 3600, keyPrefix: "bench-flex" })

  // @effect/experimental (token bucket, fail when exceeded: never here).
  const experimental = ManagedRuntime.make(
    Layer.effect(ExperimentalRateLimiter.RateLimiter, ExperimentalRateLimiter.make).pipe(
      Layer.provide(ExperimentalRedis.layerStore({ host: "127.0.0.1", port: server.port, prefix: "bench-exp:" }))
    )
  )
  const expLimiter = await experimental.runPromise(ExperimentalRateLimiter.RateLimiter)
  return {
    oursDecide: limiter.acquire({ key: "k" }),
    flexDecide: () => flex.consume("k", 1),
    expDecide: expLimiter.consume({ algorithm: "token-bucket", onExceeded: "fail", window: "1 hour", limit: 1e8, key: "k" }),
    close: async () => {
      await ours.dispose()
      await experimental.dispose()
      await flexClient.quit()
    }
  }
}

/** Ours against rate-limiter-flexible and @effect/experimental at 1, 16 and 64 in flight. */
const libraries = async (server: RedisServer, rounds: number) => {
  const { oursDecide, flexDecide, expDecide, close } = await contenders(server)
  const rows: Array<BenchRow> = []
  const figures: Record<string, number> = {}
  const ratiosFlex: Array<number> = []
  const ratiosExp: Array<number> = []
  try {
    for (const c of CONCURRENCY) {
      const n = DECISIONS[c]
      // Interleaved rounds, best of each: the machine's load drifts, and drifts alike for all three.
      let o = 0
      let f = 0
      let e = 0
      for (let round = 0; round < rounds; round++) {
        o = Math.max(o, await throughputEffect(plain, n, c, oursDecide))
        f = Math.max(f, await throughput(n, c, flexDecide))
        e = Math.max(e, await throughputEffect(plain, n, c, expDecide))
      }
      figures[`redis.decisions_per_s_c${c}`] = o
      figures[`redis.rlflexible_per_s_c${c}`] = f
      figures[`redis.effect_experimental_per_s_c${c}`] = e
      ratiosFlex.push(o / f)
      ratiosExp.push(o / e)
      rows.push(
        { name: `ours, ${c} in flight`, value: o, unit: "dec/s" },
        { name: `rate-limiter-flexible, ${c} in flight`, value: f, unit: "dec/s", note: `ours/x ${(o / f).toFixed(2)} (fixed-window counter)` },
        { name: `@effect/experimental, ${c} in flight`, value: e, unit: "dec/s", note: `ours/x ${(o / e).toFixed(2)} (client clock, no TTL)` }
      )
    }
  } finally {
    await close()
  }
  // Headline ratios: geometric mean over the three concurrencies.
  headline({ rows, figures }, "redis.vs_rlflexible", "vs rate-limiter-flexible", ratiosFlex, ", goal >= 1.0")
  headline({ rows, figures }, "redis.vs_effect_experimental", "vs @effect/experimental", ratiosExp, ", goal >= 1.0")
  return { rows, figures }
}

export const group: BenchGroup = {
  name: "redis",
  description: "Redis decisions/s vs rate-limiter-flexible and @effect/experimental; hierarchies; 1-8 processes, standalone and cluster",
  parts: ["libraries", "hierarchy", "processes", "matrix"],
  run: async (options) => {
    const server = await startRedisServer()
    const rounds = options.quick ? 1 : 3
    const parts: ReadonlyArray<readonly [string, () => Promise<{ readonly rows: ReadonlyArray<BenchRow>; readonly figures: Record<string, number> }>]> = [
      ["libraries", () => libraries(server, rounds)],
      ["hierarchy", () => hierarchyVsFlat(server.url, rounds, (decide, c, n) => throughputEffect(plain, n, c, decide))],
      ["processes", () => multiProcess(server, options.quick)],
      ["matrix", () => processMatrix(server, options)]
    ]
    const rows: Array<BenchRow> = []
    const figures: Record<string, number> = {}
    try {
      for (const [name, run] of parts) {
        if (!runsPart(options, name)) continue
        const result = await run()
        rows.push(...result.rows)
        Object.assign(figures, result.figures)
      }
      return { rows, figures }
    } finally {
      await server.stop()
    }
  }
}
