/**
 * Part of bench group "redis": decisions per second of a hierarchical admission (user > org > app,
 * three levels, usage counters on: one hierarchy script call per decision) against a flat single-key
 * decision of the Redis limiter, in the same run on the same server, at 1, 16 and 64 in flight.
 * Limits are large enough that nobody waits. `redis.hierarchy3_vs_flat` is the geometric mean of the
 * ratios (goal >= 0.5). `redis.hierarchy3_vs_tenant1` compares the same three levels with a
 * one-level entity of the same tenant limiter (usage on too): the cost of depth alone.
 */
import { Effect, Layer, ManagedRuntime } from "effect"
import * as Limit from "../src/limiter/Limit.js"
import { RateLimiter } from "../src/limiter/RateLimiter.js"
import * as LimitsResolver from "../src/limits/LimitsResolver.js"
import { LimitsStore } from "../src/limits/LimitsStore.js"
import { layerLimitsStore } from "../src/redis/limitsStore.js"
import * as Redis from "../src/redis/Redis.js"
import { layer as layerRedis } from "../src/redis/RedisLimiter.js"
import { layerTenantLimiter } from "../src/redis/tenantLimiter.js"
import { TenantLimiter } from "../src/tenants/TenantLimiter.js"
import { type BenchRow, headline } from "./harness.js"

/** Decisions per second of `decide` with `concurrency` in flight, `total` in all (the group's own measure). */
export type Measure = (decide: Effect.Effect<unknown, unknown>, concurrency: number, total: number) => Promise<number>

const CONCURRENCY = [1, 16, 64] as const
const DECISIONS: Record<(typeof CONCURRENCY)[number], number> = { 1: 3_000, 16: 15_000, 64: 20_000 }

export const hierarchyVsFlat = async (url: string, rounds: number, measure: Measure) => {
  const huge = Limit.perHour("bench", 1e9)
  const connection = (prefix: string) => Redis.layer({ url, prefix, commandTimeout: "10 seconds" })
  const flat = ManagedRuntime.make(layerRedis({ limits: [huge], throttle: false }).pipe(Layer.provide(connection("bench-flat"))))
  const tenants = ManagedRuntime.make(
    layerTenantLimiter({ throttle: false, usage: { interval: "1 minute", slots: 60 } }).pipe(
      Layer.provideMerge(LimitsResolver.layer({ ttl: "1 hour" })),
      Layer.provideMerge(layerLimitsStore()),
      Layer.provide(connection("bench-tree"))
    )
  )
  try {
    await tenants.runPromise(Effect.gen(function*() {
      const store = yield* LimitsStore
      const put = (name: string, parent?: string) =>
        store.put({ kind: "entity", name, settings: { ...(parent === undefined ? {} : { parent }), limits: { "*": [huge] } } }, { source: "bench" })
      yield* put("app")
      yield* put("org", "app")
      yield* put("user", "org")
      yield* put("solo")
    }))
    const flatDecide = (await flat.runPromise(RateLimiter)).acquire({ key: "k" })
    const tree = await tenants.runPromise(TenantLimiter)
    const treeDecide = tree.acquire({ entity: "user", resource: "api" })
    const soloDecide = tree.acquire({ entity: "solo", resource: "api" })
    const check = await tenants.runPromise(treeDecide)
    if (check.levels.length !== 3) throw new Error(`expected 3 levels, got ${check.levels.length}`)
    const rows: Array<BenchRow> = []
    const figures: Record<string, number> = {}
    const ratios: Array<number> = []
    const depth: Array<number> = []
    for (const c of CONCURRENCY) {
      let f = 0
      let h = 0
      let one = 0
      // Interleaved rounds, best of each: the machine's load drifts alike for all.
      for (let round = 0; round < rounds; round++) {
        f = Math.max(f, await measure(flatDecide, c, DECISIONS[c]))
        h = Math.max(h, await measure(treeDecide, c, DECISIONS[c]))
        one = Math.max(one, await measure(soloDecide, c, DECISIONS[c]))
      }
      figures[`redis.hierarchy3_per_s_c${c}`] = h
      ratios.push(h / f)
      depth.push(h / one)
      rows.push({
        name: `3-level hierarchy + usage, ${c} in flight`,
        value: h,
        unit: "dec/s",
        note: `vs flat key ${(h / f).toFixed(2)}, vs 1-level entity ${(h / one).toFixed(2)}`
      })
    }
    headline({ rows, figures }, "redis.hierarchy3_vs_flat", "3-level hierarchy vs flat key", ratios, ", goal >= 0.5")
    headline({ rows, figures }, "redis.hierarchy3_vs_tenant1", "3-level hierarchy vs 1-level entity", depth, "")
    return { rows, figures }
  } finally {
    await flat.dispose()
    await tenants.dispose()
  }
}
