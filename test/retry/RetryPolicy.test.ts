import { HttpClientError, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Effect, Either, Exit, Random, Ref, Schedule } from "effect"
import * as RetryPolicy from "../../src/retry/RetryPolicy.js"
import { drive } from "./support.js"

const fieldOf = (options: RetryPolicy.RetryPolicyOptions) =>
  Either.match(RetryPolicy.make(options), { onLeft: (e) => e.field, onRight: () => "valid" })

describe("RetryPolicy.make", () => {
  it("fills in finite, safe defaults", () => {
    const p = Either.getOrThrow(RetryPolicy.make())
    expect(p.maxRetries).toBe(3)
    expect(Duration.isFinite(p.totalBudget)).toBe(true)
    expect(Duration.toMillis(p.maxRetryAfter)).toBe(60_000)
    expect([...p.retryOnStatus].sort()).toEqual([408, 425, 429, 500, 502, 503, 504])
    expect(p.retryOnTransport).toBe(true)
    expect(p.respectRetryAfter).toBe(true)
    expect(p.retryNonIdempotent).toBe(false)
    expect(p.idempotencyKey).toBe("none")
  })

  it("accepts durations as millis or strings", () => {
    const p = Either.getOrThrow(RetryPolicy.make({ initialDelay: "1 second", maxDelay: 5000, maxAttempts: 6 }))
    expect(Duration.toMillis(p.initialDelay)).toBe(1000)
    expect(Duration.toMillis(p.maxDelay)).toBe(5000)
    expect(p.maxRetries).toBe(5)
  })

  it("names the bad field", () => {
    expect(fieldOf({ maxRetries: -1 })).toBe("maxRetries")
    expect(fieldOf({ maxRetries: 1.5 })).toBe("maxRetries")
    expect(fieldOf({ maxAttempts: 0 })).toBe("maxAttempts")
    expect(fieldOf({ maxAttempts: 3, maxRetries: 3 })).toBe("maxAttempts")
    expect(fieldOf({ maxAttempts: 4, maxRetries: 3 })).toBe("valid")
    expect(fieldOf({ initialDelay: -5 })).toBe("initialDelay")
    expect(fieldOf({ initialDelay: "soon" as Duration.DurationInput })).toBe("initialDelay")
    expect(fieldOf({ maxDelay: Infinity })).toBe("maxDelay")
    expect(fieldOf({ initialDelay: 2000, maxDelay: 1000 })).toBe("maxDelay")
    expect(fieldOf({ multiplier: 0.5 })).toBe("multiplier")
    expect(fieldOf({ jitter: "lots" as never })).toBe("jitter")
    expect(fieldOf({ jitterFraction: -0.1 })).toBe("jitterFraction")
    expect(fieldOf({ totalBudget: Duration.infinity })).toBe("totalBudget")
    expect(fieldOf({ maxRetryAfter: NaN })).toBe("maxRetryAfter")
    expect(fieldOf({ retryOnStatus: [503, 99] })).toBe("retryOnStatus")
    expect(fieldOf({ retryOnTransport: "yes" as never })).toBe("retryOnTransport")
    expect(fieldOf({ idempotencyKey: "auto" as never })).toBe("idempotencyKey")
    // The config's bounds hold for the options too (issue 12, item 10).
    expect(fieldOf({ maxRetries: 101 })).toBe("maxRetries")
    expect(fieldOf({ maxAttempts: 102 })).toBe("maxAttempts")
    expect(fieldOf({ initialDelay: "-5 seconds" as Duration.DurationInput })).toBe("initialDelay")
    expect(fieldOf({ maxDelay: "7 days" })).toBe("maxDelay")
    expect(fieldOf({ totalBudget: "36500 days" })).toBe("totalBudget")
    expect(fieldOf({ maxRetryAfter: "1000000000 seconds" })).toBe("maxRetryAfter")
    expect(fieldOf({ multiplier: 1e300 })).toBe("multiplier")
    expect(fieldOf({ retryOnStatus: [503, 200] })).toBe("retryOnStatus")
    expect(fieldOf({ maxRetries: 100, maxDelay: "1 day", totalBudget: "1 day", maxRetryAfter: "1 day", multiplier: 100 }))
      .toBe("valid")
    const err = Either.getLeft(RetryPolicy.make({ multiplier: 0 }))
    expect(err._tag === "Some" && err.value.message).toContain("multiplier")
  })

  it("classifies outcomes", () => {
    const p = Either.getOrThrow(RetryPolicy.make())
    const req = HttpClientRequest.get("http://127.0.0.1/")
    const transport = new HttpClientError.RequestError({ request: req, reason: "Transport" })
    const encode = new HttpClientError.RequestError({ request: req, reason: "Encode" })
    expect(RetryPolicy.isRetryableError(p)(transport)).toBe(true)
    expect(RetryPolicy.isRetryableError(p)(encode)).toBe(false)
    expect(RetryPolicy.isRetryableError(p)(new Cause.TimeoutException())).toBe(true)
    expect(RetryPolicy.isRetryableError(p)({ _tag: "AttemptTimeout" })).toBe(true)
    expect(RetryPolicy.isRetryableError(p)(new Error("boom"))).toBe(false)
    expect(RetryPolicy.isIdempotentMethod("GET")).toBe(true)
    expect(RetryPolicy.isIdempotentMethod("PUT")).toBe(true)
    expect(RetryPolicy.isIdempotentMethod("DELETE")).toBe(true)
    expect(RetryPolicy.isIdempotentMethod("post")).toBe(false)
    expect(RetryPolicy.isIdempotentMethod("PATCH")).toBe(false)
  })
})

describe("RetryPolicy.schedule", () => {
  const failing = (count: Ref.Ref<number>) => Effect.flatMap(Ref.updateAndGet(count, (n) => n + 1), () => Effect.fail("nope"))

  it.effect("retries maxRetries times with exponential delays", () =>
    Effect.gen(function*() {
      const policy = Either.getOrThrow(
        RetryPolicy.make({ maxRetries: 4, initialDelay: 100, maxDelay: 500, multiplier: 2, jitter: "none" })
      )
      const count = yield* Ref.make(0)
      const { exit, waits } = yield* drive(Effect.retry(failing(count), RetryPolicy.schedule(policy)))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(yield* Ref.get(count)).toBe(5)
      expect(waits).toEqual([100, 200, 400, 500])
    }))

  it.effect("stops within the total budget, counting the next wait", () =>
    Effect.gen(function*() {
      const policy = Either.getOrThrow(
        RetryPolicy.make({ maxRetries: 100, initialDelay: 100, multiplier: 2, jitter: "none", totalBudget: 1000 })
      )
      const count = yield* Ref.make(0)
      const { waits } = yield* drive(Effect.retry(failing(count), RetryPolicy.schedule(policy)))
      // 100 + 200 + 400 = 700; +800 would overrun 1000
      expect(waits).toEqual([100, 200, 400])
      expect(yield* Ref.get(count)).toBe(4)
    }))

  it.effect("jitters with Effect's Random, within the band", () =>
    Effect.gen(function*() {
      const policy = Either.getOrThrow(
        RetryPolicy.make({ maxRetries: 6, initialDelay: 100, maxDelay: 100_000, jitter: "full" })
      )
      const count = yield* Ref.make(0)
      const { waits } = yield* drive(
        Effect.retry(failing(count), RetryPolicy.schedule(policy)).pipe(Effect.withRandom(Random.make(42)))
      )
      expect(waits.length).toBe(6)
      waits.forEach((w, i) => {
        expect(w).toBeGreaterThanOrEqual(0)
        expect(w).toBeLessThanOrEqual(100 * 2 ** i)
      })
      // not all equal to the un-jittered values
      expect(waits).not.toEqual([100, 200, 400, 800, 1600, 3200])
    }))

  it.effect("a ResponseError's Retry-After sets the wait (capped), and each step says why it waits", () =>
    Effect.gen(function*() {
      const policy = Either.getOrThrow(
        RetryPolicy.make({ maxRetries: 3, initialDelay: 100, jitter: "none", maxRetryAfter: "10 seconds" })
      )
      const request = HttpClientRequest.get("http://127.0.0.1/")
      const answers = ["7", "3600", undefined]
      const count = yield* Ref.make(0)
      const effect = Effect.flatMap(Ref.getAndUpdate(count, (n) => n + 1), (n) => {
        const retryAfter = answers[n]
        const response = HttpClientResponse.fromWeb(
          request,
          new Response(null, { status: 503, headers: retryAfter === undefined ? {} : { "retry-after": retryAfter } })
        )
        return Effect.fail(new HttpClientError.ResponseError({ request, response, reason: "StatusCode" }))
      })
      const steps: Array<RetryPolicy.RetryStep> = []
      const { waits } = yield* drive(
        Effect.retry(effect, RetryPolicy.schedule(policy).pipe(Schedule.tapOutput((s) => Effect.sync(() => steps.push(s)))))
      )
      // 7 s as sent, 1 h capped at 10 s, then the backoff's third delay (100 · 2²)
      expect(waits).toEqual([7_000, 10_000, 400])
      expect(steps.map((s) => [s.attempt, s.source, s.retryAfter === undefined ? undefined : Duration.toMillis(s.retryAfter)]))
        .toEqual([[1, "RetryAfter", 7_000], [2, "RetryAfter", 3_600_000], [3, "Backoff", undefined], [4, "Backoff", undefined]])
    }))

  it.effect("the budget can count from an earlier start (the first attempt), and be replaced", () =>
    Effect.gen(function*() {
      const policy = Either.getOrThrow(RetryPolicy.make({ maxRetries: 100, initialDelay: 100, jitter: "none", totalBudget: 1000 }))
      const count = yield* Ref.make(0)
      // Started 500 ms before the first failure (at 0): 100 + 200 fit, 400 more would end at 1.2 s.
      const { waits } = yield* drive(Effect.retry(failing(count), RetryPolicy.schedule(policy, { startedAt: -500 })))
      expect(waits).toEqual([100, 200])
      const shorter = yield* drive(Effect.retry(failing(count), RetryPolicy.schedule(policy, { budgetMs: 350 })))
      expect(shorter.waits).toEqual([100, 200])
    }))

  it.effect("composes with whileInput to retry only what the policy retries", () =>
    Effect.gen(function*() {
      const policy = Either.getOrThrow(RetryPolicy.make({ jitter: "none", initialDelay: 10 }))
      const count = yield* Ref.make(0)
      const req = HttpClientRequest.get("http://127.0.0.1/")
      const effect = Effect.flatMap(
        Ref.updateAndGet(count, (n) => n + 1),
        (n) =>
          n < 3
            ? Effect.fail(new HttpClientError.RequestError({ request: req, reason: "Transport" }))
            : Effect.fail(new HttpClientError.RequestError({ request: req, reason: "InvalidUrl" }))
      )
      const { exit } = yield* drive(
        Effect.retry(effect, RetryPolicy.schedule(policy).pipe(Schedule.whileInput(RetryPolicy.isRetryableError(policy))))
      )
      expect(yield* Ref.get(count)).toBe(3)
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error.reason).toBe("InvalidUrl")
    }))
})
