/**
 * The spec `examples/testing.ts` describes: how a user tests their own `syncAll` (examples/sdk/sync.ts)
 * with effect-governor's test layers. Rate logic on `TestClock` (`it.effect`: deterministic, no real
 * waiting); HTTP behaviour against the simulated API on 127.0.0.1 (`it.live`).
 */
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Either, Fiber, Layer, Ref, TestClock } from "effect"
import {
  LIMITER_BURST,
  PARTNER_BURST,
  PARTNER_RATE,
  PartnerRecord,
  partnerLimiter,
  Records,
  RecordsHttp,
  syncAll
} from "../../examples/sdk/sync.js"
import { Limit, RateLimiter } from "../../src/index.js"
import { SimulatedApi } from "../../src/testing/index.js"

const idsOf = (n: number, prefix = "") => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`)

/** A `Records` double that notes the (virtual) time of every fetch. */
const recordingRecords = (seen: Ref.Ref<ReadonlyArray<number>>) =>
  Layer.succeed(Records, {
    fetch: (id) =>
      Clock.currentTimeMillis.pipe(
        Effect.tap((now) => Ref.update(seen, (s) => [...s, now])),
        Effect.as(new PartnerRecord({ id, name: `record-${id}`, version: 1 }))
      )
  })

/** Fetches the partner allows by `ms`: its burst plus what its bucket refilled meanwhile. */
const partnerAllows = (ms: number) => PARTNER_BURST + Math.floor((ms / 1000) * PARTNER_RATE + 1e-9)

describe("testing your own code (examples/testing.ts)", () => {
  it.effect("syncAll keeps to the partner's 3 requests/s (TestClock)", () =>
    Effect.gen(function*() {
      const seen = yield* Ref.make<ReadonlyArray<number>>([])
      const fiber = yield* syncAll(idsOf(10)).pipe(Effect.provide(Layer.merge(recordingRecords(seen), partnerLimiter)), Effect.fork)

      yield* TestClock.adjust(0)
      expect((yield* Ref.get(seen)).length).toBe(LIMITER_BURST)
      // Just before the next token: nothing new.
      yield* TestClock.adjust(1000 / PARTNER_RATE - 1)
      expect((yield* Ref.get(seen)).length).toBe(LIMITER_BURST)
      yield* TestClock.adjust(1)
      expect((yield* Ref.get(seen)).length).toBe(LIMITER_BURST + 1)

      yield* TestClock.adjust("5 seconds")
      const records = yield* Fiber.join(fiber)
      expect(records.map((r) => r.id)).toEqual(idsOf(10))
      const times = yield* Ref.get(seen)
      expect(times.length).toBe(10)
      // Never ahead of the partner's bucket, and evenly spaced after our burst.
      times.forEach((t, i) => expect(i + 1).toBeLessThanOrEqual(partnerAllows(t)))
      times.slice(LIMITER_BURST).forEach((t, i) => expect(t - times[i + LIMITER_BURST - 1]!).toBeGreaterThanOrEqual(1000 / PARTNER_RATE - 1))
      // And as fast as allowed: 10 fetches finish 8 refills after the start.
      expect(times[9]).toBeCloseTo((10 - LIMITER_BURST) * 1000 / PARTNER_RATE, 0)
    }))

  it.effect("two concurrent syncs share one budget (same limiter key)", () =>
    Effect.gen(function*() {
      const seen = yield* Ref.make<ReadonlyArray<number>>([])
      const both = Effect.all([syncAll(idsOf(6, "a")), syncAll(idsOf(6, "b"))], { concurrency: 2 })
      const fiber = yield* both.pipe(Effect.provide(Layer.merge(recordingRecords(seen), partnerLimiter)), Effect.fork)
      yield* TestClock.adjust("10 seconds")
      const [a, b] = yield* Fiber.join(fiber)
      expect(a.length + b.length).toBe(12)
      const times = [...(yield* Ref.get(seen))].sort((x, y) => x - y)
      times.forEach((t, i) => expect(i + 1).toBeLessThanOrEqual(partnerAllows(t)))
      expect(times[11]).toBeCloseTo((12 - LIMITER_BURST) * 1000 / PARTNER_RATE, 0)
    }))

  it.effect("a limiter with the wrong rate is caught by the same assertions", () =>
    Effect.gen(function*() {
      const seen = yield* Ref.make<ReadonlyArray<number>>([])
      const wrong = RateLimiter.layerMemory({ limits: [Limit.perSecond("partner", 5)] })
      const fiber = yield* syncAll(idsOf(10)).pipe(Effect.provide(Layer.merge(recordingRecords(seen), wrong)), Effect.fork)
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.join(fiber)
      const times = yield* Ref.get(seen)
      expect(times.some((t, i) => i + 1 > partnerAllows(t))).toBe(true)
    }))

  // HTTP behaviour: the simulated API hides the partner's limit and answers 429 when it is exceeded.
  const overHttp = (limiter: Layer.Layer<RateLimiter.RateLimiter, unknown>) =>
    Effect.gen(function*() {
      const api = yield* SimulatedApi.SimulatedApi
      const result = yield* Effect.either(syncAll(idsOf(8)))
      return { result, counters: yield* api.counters }
    }).pipe(
      Effect.provide(
        Layer.merge(
          SimulatedApi.layerWith({ rate: PARTNER_RATE, burst: PARTNER_BURST, retryAfter: "seconds" }, (api) => RecordsHttp(api.url)),
          limiter
        ).pipe(Layer.provideMerge(NodeHttpClient.layerUndici))
      )
    )

  it.live("over HTTP, the partner limiter never meets a 429", () =>
    Effect.gen(function*() {
      const started = Date.now()
      const { counters, result } = yield* overHttp(partnerLimiter)
      expect(Either.isRight(result)).toBe(true)
      if (Either.isRight(result)) expect(result.right.map((r) => r.name)).toEqual(idsOf(8, "item-"))
      expect(counters).toMatchObject({ total: 8, accepted: 8, rejected429: 0 })
      // Real time: 6 refills of 1/3 s after the burst of 2.
      expect(Date.now() - started).toBeGreaterThanOrEqual(((8 - LIMITER_BURST) * 1000) / PARTNER_RATE - 50)
    }))

  it.live("over HTTP, a too-generous limiter is caught: the API answers 429", () =>
    Effect.gen(function*() {
      const { counters, result } = yield* overHttp(RateLimiter.layerMemory({ limits: [Limit.perSecond("partner", 10)] }))
      expect(counters.rejected429).toBeGreaterThan(0)
      expect(Either.isLeft(result) && result.left._tag === "RecordsError" ? result.left.status : undefined).toBe(429)
    }))
})
