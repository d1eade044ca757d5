/**
 * Every server family of the simulated API against the real loopback server: statuses and headers.
 * `it.effect` tests run the server on `TestClock` (its limiter reads the scope's clock).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Fiber, TestClock } from "effect"
import { SimulatedApi } from "../../src/testing/index.js"

const get = (url: string) =>
  Effect.promise(async () => {
    const res = await fetch(url)
    const text = await res.text()
    return { status: res.status, headers: res.headers, body: text.length > 0 ? JSON.parse(text) : undefined }
  })

const h = (r: { headers: Headers }, name: string) => r.headers.get(name)

describe("SimulatedApi families", () => {
  it.effect("fixed window (first request): counts reset on the boundary, reset and Retry-After rounded up", () =>
    Effect.gen(function*() {
      const api = yield* SimulatedApi.make({
        virtualTime: true,
        rate: 0.05, // 3 per minute
        algorithm: { type: "fixed-window", window: "1 minute" },
        headers: { xRateLimit: "delta", ietf: { draft: "draft-7" } }
      })
      const url = `${api.url}/items/1`
      for (const remaining of ["2", "1", "0"]) {
        const r = yield* get(url)
        expect([r.status, h(r, "x-ratelimit-remaining"), h(r, "x-ratelimit-reset")]).toEqual([200, remaining, "60"])
      }
      const over = yield* get(url)
      expect(over.status).toBe(429)
      expect(h(over, "retry-after")).toBe("60")
      expect(h(over, "ratelimit-policy")).toBe("3;w=60")
      expect(h(over, "ratelimit")).toBe("limit=3, remaining=0, reset=60")
      yield* TestClock.adjust("30.5 seconds")
      const still = yield* get(url)
      expect([still.status, h(still, "retry-after"), h(still, "x-ratelimit-reset")]).toEqual([429, "30", "30"])
      yield* TestClock.adjust("29.5 seconds")
      const next = yield* get(url)
      expect([next.status, h(next, "x-ratelimit-remaining"), h(next, "x-ratelimit-reset")]).toEqual([200, "2", "60"])
      expect(yield* api.counters).toMatchObject({ total: 6, accepted: 4, rejected429: 2 })
      expect(yield* api.limit).toEqual({ rate: 0.05, burst: 3 })
    }).pipe(Effect.scoped))

  it.effect("fixed window (clock): windows aligned to the clock, epoch reset", () =>
    Effect.gen(function*() {
      const api = yield* SimulatedApi.make({
        virtualTime: true,
        rate: 0.05,
        algorithm: { type: "fixed-window", window: "1 minute", anchor: "clock" },
        headers: { xRateLimit: "epoch" }
      })
      yield* TestClock.adjust("50 seconds")
      for (let i = 0; i < 3; i++) expect((yield* get(`${api.url}/echo`)).status).toBe(200)
      const over = yield* get(`${api.url}/echo`)
      expect([over.status, h(over, "retry-after"), h(over, "x-ratelimit-reset"), h(over, "x-ratelimit-remaining")]).toEqual([429, "10", "60", "0"])
      yield* TestClock.adjust("10 seconds")
      expect((yield* get(`${api.url}/echo`)).status).toBe(200)
    }).pipe(Effect.scoped))

  it.effect("sliding-window log: no more than the quota in any window; IETF fields with pk and qu", () =>
    Effect.gen(function*() {
      const api = yield* SimulatedApi.make({
        virtualTime: true,
        rate: 0.3, // 3 per 10 s
        algorithm: { type: "sliding-log", window: "10 seconds" },
        headers: { ietf: { partitionKey: "tenant-42", quotaUnit: "requests" } }
      })
      const url = `${api.url}/echo`
      for (const at of [0, 4_000, 4_000]) {
        yield* TestClock.adjust(at)
        expect((yield* get(url)).status).toBe(200)
      }
      yield* TestClock.adjust(1_000) // t = 9 s: 0, 4, 8 are all in the last 10 s
      const over = yield* get(url)
      expect(over.status).toBe(429)
      expect(h(over, "retry-after")).toBe("1")
      expect(h(over, "ratelimit-policy")).toBe(`"default";q=3;w=10;qu="requests";pk=:dGVuYW50LTQy:`)
      expect(h(over, "ratelimit")).toBe(`"default";r=0;t=9;pk=:dGVuYW50LTQy:`)
      yield* TestClock.adjust(1_000) // t = 10 s: the request at 0 has left
      const again = yield* get(url)
      expect([again.status, h(again, "ratelimit")]).toEqual([200, `"default";r=0;t=10;pk=:dGVuYW50LTQy:`])
    }).pipe(Effect.scoped))

  it.effect("GCRA as nginx limit_req: a small nodelay burst, 503 without Retry-After or rate-limit headers", () =>
    Effect.gen(function*() {
      const api = yield* SimulatedApi.make({ virtualTime: true, rate: 10, burst: 3, algorithm: { type: "gcra" }, rejectStatus: 503 })
      const url = `${api.url}/echo`
      const first = yield* Effect.forEach([1, 2, 3, 4], () => get(url))
      expect(first.map((r) => r.status)).toEqual([200, 200, 200, 503])
      const rejected = first[3]!
      expect(h(rejected, "retry-after")).toBeNull()
      expect([...rejected.headers.keys()].filter((k) => k.includes("ratelimit"))).toEqual([])
      yield* TestClock.adjust("100 millis")
      expect((yield* get(url)).status).toBe(200)
      expect((yield* get(url)).status).toBe(503)
      expect(yield* api.counters).toMatchObject({ accepted: 4, rejected429: 2 })
      // Answering 429 with a precise Retry-After, on request.
      const b = yield* SimulatedApi.make({ virtualTime: true, rate: 4, algorithm: { type: "gcra" }, retryAfter: "precise" })
      expect((yield* get(`${b.url}/echo`)).status).toBe(200)
      const r = yield* get(`${b.url}/echo`)
      expect([r.status, h(r, "retry-after")]).toEqual([429, "0.250"])
    }).pipe(Effect.scoped))

  it.effect("token bucket holding 0.1 s of its rate, whole-second Retry-After of at least 1", () =>
    Effect.gen(function*() {
      const api = yield* SimulatedApi.make({ virtualTime: true, rate: 50, burst: 5, headers: { ietf: { draft: "draft-6" } } })
      const rs = yield* Effect.forEach(Array.from({ length: 6 }), () => get(`${api.url}/echo`))
      expect(rs.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429])
      const over = rs[5]!
      expect(h(over, "retry-after")).toBe("1") // a token is 20 ms away
      expect([h(over, "ratelimit-limit"), h(over, "ratelimit-remaining"), h(over, "ratelimit-reset")]).toEqual(["5", "0", "1"])
      yield* TestClock.adjust("20 millis")
      expect((yield* get(`${api.url}/echo`)).status).toBe(200)
    }).pipe(Effect.scoped))

  it.effect("GitHub: 403 with X-RateLimit-Remaining: 0, an epoch reset, no Retry-After", () =>
    Effect.gen(function*() {
      const api = yield* SimulatedApi.make({ virtualTime: true, rate: 1, burst: 2, headers: { xRateLimit: "epoch" }, rejectStatus: 403, retryAfter: "none" })
      const rs = yield* Effect.forEach([1, 2, 3], () => get(`${api.url}/items`))
      expect(rs.map((r) => r.status)).toEqual([200, 200, 403])
      const limited = rs[2]!
      expect(h(limited, "x-ratelimit-remaining")).toBe("0")
      expect(h(limited, "x-ratelimit-used")).toBe("2")
      expect(h(limited, "x-ratelimit-resource")).toBe("core")
      expect(h(limited, "x-ratelimit-reset")).toBe("2") // epoch second at which the bucket is full (TestClock starts at 0)
      expect(h(limited, "retry-after")).toBeNull()
      expect(limited.body.message).toMatch(/rate limit exceeded/)
      const bad = yield* Effect.either(SimulatedApi.make({ virtualTime: true, rate: 1, rejectStatus: 403 }))
      expect(Either.isLeft(bad) && bad.left._tag === "InvalidSimulatedApiOptions" && bad.left.field).toBe("rejectStatus")
    }).pipe(Effect.scoped))

  it.live("random 502/503/504 drawn after admission: no Retry-After, deterministic for a seed, never instead of a rejection", () =>
    Effect.gen(function*() {
      const options = { rate: 1e6, burst: 1e6, errorRate: 0.4, errorStatuses: [502, 503, 504] as const, seed: 3 }
      const a = yield* SimulatedApi.make(options)
      const b = yield* SimulatedApi.make(options)
      const statuses = (url: string) => Effect.forEach(Array.from({ length: 40 }), () => get(`${url}/echo`))
      const ra = yield* statuses(a.url)
      expect((yield* statuses(b.url)).map((r) => r.status)).toEqual(ra.map((r) => r.status))
      const failed = ra.filter((r) => r.status >= 500)
      expect(new Set(failed.map((r) => r.status))).toEqual(new Set([502, 503, 504]))
      expect(failed.every((r) => h(r, "retry-after") === null)).toBe(true)
      expect((yield* a.counters).errors5xx).toBe(failed.length)
      // Faults are drawn only for admitted requests: past the burst, every answer is the limiter's.
      const c = yield* SimulatedApi.make({ rate: 0.001, burst: 3, errorRate: 1, errorStatuses: [503] })
      expect((yield* statuses(c.url)).map((r) => r.status)).toEqual([503, 503, 503, ...Array.from({ length: 37 }, () => 429)])
    }).pipe(Effect.scoped))

  it.effect("network delay: the limiter sees a request after the delay there, the client its answer after the delay back", () =>
    Effect.gen(function*() {
      const api = yield* SimulatedApi.make({ virtualTime: true, rate: 1, burst: 1, algorithm: { type: "gcra" }, networkDelay: "100 millis" })
      const pending = yield* Effect.fork(get(`${api.url}/echo`))
      const sleeping = Effect.flatMap(TestClock.sleeps(), (s) => s.length > 0 ? Effect.void : Effect.fail("not yet"))
      const settle = Effect.promise(() => new Promise((r) => setTimeout(r, 5)))
      yield* sleeping.pipe(Effect.tapError(() => settle), Effect.retry({ times: 400 }))
      yield* TestClock.adjust("99 millis")
      expect((yield* api.counters).total).toBe(0)
      yield* TestClock.adjust("1 millis")
      expect((yield* api.counters).total).toBe(1)
      yield* sleeping.pipe(Effect.tapError(() => settle), Effect.retry({ times: 400 }))
      yield* settle
      expect(pending.unsafePoll()).toBeNull()
      yield* TestClock.adjust("100 millis")
      expect((yield* Fiber.join(pending)).status).toBe(200)
    }).pipe(Effect.scoped))

  it.live("network delay with jitter in real time, each way", () =>
    Effect.gen(function*() {
      const api = yield* SimulatedApi.make({ rate: 100, networkDelay: { min: "50 millis", max: "100 millis" } })
      const start = Date.now()
      expect((yield* get(`${api.url}/echo`)).status).toBe(200)
      const elapsed = Date.now() - start
      expect(elapsed).toBeGreaterThanOrEqual(99)
      expect(elapsed).toBeLessThan(1_000)
    }).pipe(Effect.scoped))

  it.effect("bad options fail with a typed error naming the field", () =>
    Effect.gen(function*() {
      const field = (options: SimulatedApi.Options) =>
        Effect.map(Effect.either(Effect.scoped(SimulatedApi.make(options))), (e) => Either.isLeft(e) && e.left._tag === "InvalidSimulatedApiOptions" ? e.left.field : "accepted")
      expect(yield* field({ rate: 10, limit: 5 } as SimulatedApi.Options)).toBe("limit")
      expect(yield* field({ rate: 10, burst: 0.5 })).toBe("burst")
      expect(yield* field({ rate: 10, burst: 5, algorithm: { type: "fixed-window", window: "1 second" } })).toBe("burst")
      expect(yield* field({ rate: 1.5, algorithm: { type: "fixed-window", window: "1 second" } })).toBe("rate")
      expect(yield* field({ rate: 1, algorithm: { type: "sliding-log", window: 0 } })).toBe("algorithm.window")
      expect(yield* field({ rate: 1, algorithm: { type: "leaky" } as unknown as SimulatedApi.AlgorithmOption })).toBe("algorithm.type")
      expect(yield* field({ rate: 1, retryAfter: "minutes" as "seconds" })).toBe("retryAfter")
      expect(yield* field({ rate: 1, errorStatuses: [501 as 500] })).toBe("errorStatuses") // the index leads the reason (decodeOptions)
      expect(yield* field({ rate: 1, networkDelay: { min: "100 millis", max: "50 millis" } })).toBe("networkDelay.max")
      expect(yield* field({ rate: 1, headers: { ietf: { draft: "draft-9" as "draft-7" } } })).toBe("headers.ietf.draft")
      const api = yield* SimulatedApi.make({ virtualTime: true, rate: 1, algorithm: { type: "fixed-window", window: "10 seconds" } })
      const bad = yield* Effect.either(api.setLimit(2, 20))
      expect(Either.isLeft(bad) && bad.left.field).toBe("burst")
      yield* api.setLimit(2)
      expect(yield* api.limit).toEqual({ rate: 2, burst: 20 })
    }).pipe(Effect.scoped))
})
