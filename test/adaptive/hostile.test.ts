/**
 * A hostile server: whatever its Retry-After, X-RateLimit-*, RateLimit and RateLimit-Policy headers
 * say, no fiber waits longer than the configured caps (`maxRetryAfter` for a Retry-After,
 * `maxQuotaWait` for a quota reset, one request per `maxQuotaWait` for a header pace), and nothing
 * throws. First the pure decision (headers parsed, then the controller's transition), then the
 * controller applying it to a real limiter on the TestClock.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, Fiber, Layer, Logger, LogLevel, Option, TestClock, TestContext } from "effect"
import fc from "fast-check"
import * as AdaptiveController from "../../src/adaptive/AdaptiveController.js"
import * as Aimd from "../../src/adaptive/aimd.js"
import * as HeaderPacing from "../../src/adaptive/headerPacing.js"
import { observe } from "../../src/adaptive/observe.js"
import { Limit } from "../../src/index.js"
import { layerMemory } from "../../src/limiter/memory.js"
import { MIN_PACING_RATE } from "../../src/limiter/pacing.js"
import { RateLimiter } from "../../src/limiter/RateLimiter.js"
import { hostileHeaders, hostileStatus, NEAR_ANCHOR } from "./hostileHeaders.js"

const DAY = 86_400_000

const caps = fc.record({
  initialRate: fc.double({ min: 0.5, max: 100, noNaN: true }),
  maxRetryAfterMs: fc.integer({ min: 0, max: 10 * 60_000 }),
  maxQuotaWaitMs: fc.integer({ min: 1000, max: 2 * DAY })
})

const resolve = (c: { initialRate: number; maxRetryAfterMs: number; maxQuotaWaitMs: number }, minRate: number) =>
  Either.getOrThrow(AdaptiveController.resolveOptions({
    initialRate: c.initialRate,
    minRate,
    maxRetryAfter: c.maxRetryAfterMs,
    maxQuotaWait: c.maxQuotaWaitMs
  }))

/** A clock that may sit anywhere from 1970 to year 2096, or jump forward. */
const start = fc.oneof(fc.integer({ min: 0, max: 4_000_000_000_000 }), fc.constant(NEAR_ANCHOR))
const responses = fc.array(
  fc.record({ dt: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 10 * DAY })), status: hostileStatus, headers: hostileHeaders }),
  { minLength: 1, maxLength: 12 }
)

describe("a hostile server", () => {
  it("cannot impose a wait through the pure step (readOutcome + observe), nor make it throw", () => {
    fc.assert(
      fc.property(caps, start, responses, (c, t0, outcomes) => {
        // The slowest minRate the controller accepts: only the header floor stands between a server and a lockout.
        const options = resolve(c, MIN_PACING_RATE)
        const floor = Math.min(options.aimd.maxRate, 1000 / c.maxQuotaWaitMs)
        let now = t0
        let s: Aimd.AimdState | undefined
        for (const o of outcomes) {
          now += o.dt
          const reading = AdaptiveController.readOutcome(options, o, now)
          const before = s?.cooldownUntil ?? 0
          const rateBefore = (s ?? Aimd.initial(options.aimd)).rate
          s = observe(options.aimd, s ?? Aimd.initial(options.aimd), reading, now)
          const cap = reading.backoff ? c.maxRetryAfterMs : c.maxQuotaWaitMs
          expect(s.cooldownUntil).toBeLessThanOrEqual(Math.max(before, now + cap))
          expect(Number.isFinite(s.rate)).toBe(true)
          expect(s.rate).toBeGreaterThanOrEqual(options.aimd.minRate)
          expect(s.rate).toBeLessThanOrEqual(options.aimd.maxRate)
          // Headers never pace below the floor: a header step lowers the rate no further than it
          // (the pause of a quota exhausted for the requests on their way keeps the rate, which may be
          // a configured one below the floor: initialRate 0.5, maxQuotaWait 1 s).
          if (!reading.backoff && reading.info !== undefined && s.phase === "header") {
            expect(s.rate).toBeGreaterThanOrEqual(Math.min(floor, rateBefore))
          }
        }
      }),
      { numRuns: 400 }
    )
  })

  it("reads an HTTP-date Retry-After on the server's clock when its Date comes along (a skewed client clock)", () => {
    const options = resolve({ initialRate: 50, maxRetryAfterMs: 120_000, maxQuotaWaitMs: 60_000 }, 0.5)
    const date = Date.UTC(2024, 5, 15, 12, 0, 0)
    const headers = { "retry-after": new Date(date + 2000).toUTCString(), date: new Date(date).toUTCString() }
    // The client's clock 10 s ahead read the date as past (no pause: another 429); 10 s behind, 12 s.
    const ahead = date + 10_000, behind = date - 10_000
    expect(AdaptiveController.readOutcome(options, { status: 429, headers: { "retry-after": headers["retry-after"] }, sentAt: ahead - 100 }, ahead).retryAfterMs).toBe(0)
    expect(AdaptiveController.readOutcome(options, { status: 429, headers, sentAt: ahead - 100 }, ahead).retryAfterMs).toBe(900)
    expect(AdaptiveController.readOutcome(options, { status: 429, headers, sentAt: behind - 100 }, behind).retryAfterMs).toBe(2000)
    // Clocks agreeing, answered 300 ms into the Date's second: as the client's clock reads it.
    expect(AdaptiveController.readOutcome(options, { status: 429, headers, sentAt: date }, date + 300).retryAfterMs).toBe(1700)
  })

  it("reads the Date and Age only for a Retry-After (a cached 429 read on its serving clock)", () => {
    // Rate-limit headers off: their parser reads every header (`lowerCase`).
    const options = Either.getOrThrow(AdaptiveController.resolveOptions({ initialRate: 50, maxRetryAfter: 120_000, respectHeaders: false }))
    const date = Date.UTC(2024, 5, 15, 12, 0, 0)
    const read: Array<string> = []
    const headers = (retryAfter?: string) => ({
      ...(retryAfter === undefined ? {} : { "retry-after": retryAfter }),
      get date() { read.push("date"); return new Date(date).toUTCString() },
      get age() { read.push("age"); return "5" }
    })
    for (const status of [200, 429, 503]) AdaptiveController.readOutcome(options, { status, headers: headers(), sentAt: date }, date + 300)
    expect(read).toEqual([])
    // A cached 429 stored 5 s ago: the Retry-After date 2 s after its Date is past.
    const r = AdaptiveController.readOutcome(options, { status: 429, headers: headers(new Date(date + 2000).toUTCString()), sentAt: date + 5000 }, date + 5300)
    expect(r.retryAfterMs).toBe(0)
    expect(read).toEqual(["date", "age"])
  })

  it("cannot make a fiber wait on the limiter longer than the caps (controller + memory limiter, TestClock)", async () => {
    await fc.assert(
      fc.asyncProperty(caps, responses, async (c, outcomes) => {
        // A minRate no slower than the quota bound, so any wait beyond the caps is the server's doing.
        const options = { initialRate: c.initialRate, minRate: Math.min(c.initialRate, 1000 / c.maxQuotaWaitMs), maxRetryAfter: c.maxRetryAfterMs, maxQuotaWait: c.maxQuotaWaitMs }
        // A documented rate slower than that (0.5 rps, maxQuotaWait 1 s) waits its own pace: the user's.
        const bound = Math.max(c.maxRetryAfterMs, c.maxQuotaWaitMs, Math.ceil(1000 / c.initialRate))
        const program = Effect.gen(function*() {
          const controller = yield* AdaptiveController.AdaptiveController
          const limiter = yield* RateLimiter
          yield* controller.prime("k")
          for (const o of outcomes) yield* controller.observe("k", o)
          const snap = yield* limiter.snapshot("k")
          const now = yield* TestClock.currentTimeMillis
          expect(snap.cooldownUntil ?? now).toBeLessThanOrEqual(now + bound)
          const fiber = yield* Effect.fork(limiter.acquire({ key: "k" }))
          yield* Effect.repeatN(Effect.yieldNow(), 20)
          yield* TestClock.adjust(bound + 1)
          const exit = yield* Fiber.poll(fiber)
          expect(Option.isSome(exit) && Exit.isSuccess(exit.value)).toBe(true)
        })
        const layer = AdaptiveController.layer(options).pipe(
          Layer.provideMerge(layerMemory({ limits: [Limit.perSecond("api", 1000)], throttle: false }))
        )
        await Effect.runPromise(program.pipe(
          Effect.provide(layer),
          Logger.withMinimumLogLevel(LogLevel.None),
          Effect.provide(TestContext.TestContext)
        ))
      }),
      { numRuns: 60 }
    )
  })
  it("cannot hold a fixed window's last request beyond maxQuotaWaitMs, whatever the pace was", () => {
    // The reviewer's case: paced at 0.01/s, a window of 10 jumping back full then read with 1 left:
    // its last request was held 1 / 0.01 s (99,995 ms) though the wait is capped at 5 s.
    fc.assert(
      fc.property(
        fc.double({ min: 1e-4, max: 100, noNaN: true }),
        fc.integer({ min: 1000, max: 60_000 }),
        fc.integer({ min: 1500, max: 60_000 }),
        fc.integer({ min: 1, max: 9 }),
        (rate, maxQuotaWaitMs, resetIn, left) => {
          const c = { ...Aimd.defaultConfig(1), maxQuotaWaitMs }
          const T = 1_000_000
          let s: Aimd.AimdState = { ...Aimd.initial(c), rate, rttMs: 10 }
          const feed = (t: number, remaining: number, resetAt: number) => {
            s = HeaderPacing.onHeaders(c, { ...s, rate }, { limit: 10, remaining, resetAt, source: "x-ratelimit" }, t, t - 5)
          }
          feed(T, 2, T + 1000)
          feed(T + 1200, 9, T + 1200 + resetIn)
          feed(T + 1300, left, T + 1200 + resetIn)
          expect(s.cooldownUntil - (T + 1300)).toBeLessThanOrEqual(maxQuotaWaitMs)
        }
      ),
      { numRuns: 400 }
    )
  })
  it("cannot stop nor corrupt the pause of an exhausted quota through a stored quota window (NaN, ±Infinity or any start, as a shared store may hold)", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity), fc.integer({ min: -2 * DAY, max: 2 * DAY }).map((d) => 1_700_000_000_000 + d)),
        fc.boolean(),
        fc.option(fc.integer({ min: 1000, max: 60_000 }), { nil: null }),
        fc.integer({ min: 1, max: DAY }),
        fc.integer({ min: 1, max: 2000 }),
        (windowStartAt, windowJumped, headerWindowMs, dt, resetIn) => {
          const c = Aimd.defaultConfig(100)
          const t0 = 1_700_000_000_000
          const stored: Aimd.AimdState = {
            ...Aimd.initial(c),
            headerLast: { sentAt: t0, at: t0 + 40, remaining: 500, limit: 1000, partition: null },
            windowStartAt,
            windowJumped,
            headerWindowMs
          }
          const now = t0 + 40 + dt
          const s = HeaderPacing.onHeaders(c, stored, { limit: 1000, remaining: 0, resetAt: now + resetIn, source: "x-ratelimit" }, now, now - 40)
          expect(Number.isNaN(s.cooldownUntil) || Number.isNaN(s.headerUntil)).toBe(false)
          expect(s.cooldownUntil).toBeLessThanOrEqual(now + Math.min(resetIn, c.maxQuotaWaitMs))
          expect(s.windowStartAt === null || Number.isFinite(s.windowStartAt)).toBe(true)
          // A start that is none, or later than any answer read: no window known, paused until the reset.
          if (!Number.isFinite(windowStartAt) || windowStartAt > now) {
            expect(s.cooldownUntil).toBe(now + Math.min(resetIn, c.maxQuotaWaitMs))
          }
        }
      ),
      { numRuns: 400 }
    )
  })
  it("cannot turn off the round trip through a stored rttMs (NaN, ±Infinity, negative, as a shared store may hold): it is none, and learnt afresh", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(NaN, Infinity, -Infinity), fc.double({ max: -Number.MIN_VALUE, noNaN: true })),
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 20 }),
        (rttMs, rtts) => {
          const c = Aimd.defaultConfig(50)
          let s: Aimd.AimdState = { ...Aimd.initial(c), rttMs }
          let now = 1_700_000_000_000
          for (const [i, r] of rtts.entries()) {
            now += 10 + r
            s = observe(c, s, { status: 200, backoff: false, sentAt: now - r }, now)
            // The first answer's round trip is the usual one, as for a key never seen.
            if (i === 0) expect(s.rttMs).toBe(r)
            expect(Number.isFinite(s.rttMs)).toBe(true)
            expect(s.rttMs!).toBeGreaterThanOrEqual(0)
          }
        }
      ),
      { numRuns: 200 }
    )
  })
})
