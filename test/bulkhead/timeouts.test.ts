import { HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Exit, Fiber, Option, Schedule, TestClock } from "effect"
import * as Bulkhead from "../../src/bulkhead/Bulkhead.js"
import { AttemptTimeout, DeadlineExceeded } from "../../src/bulkhead/errors.js"
import * as Timeouts from "../../src/bulkhead/timeouts.js"
import { RetriesExhausted } from "../../src/retry/errors.js"
import { retryRequest } from "../../src/retry/retryRequest.js"
import * as RetryPolicy from "../../src/retry/RetryPolicy.js"

describe("withAttemptTimeout", () => {
  it.effect("fails with AttemptTimeout when the attempt is too slow", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Timeouts.withAttemptTimeout(Effect.sleep("5 seconds"), "1 second"))
      yield* TestClock.adjust("999 millis")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 millis")
      const exit = yield* Fiber.await(fiber)
      expect(exit).toEqual(Exit.fail(new AttemptTimeout({ timeout: Duration.seconds(1) })))
    }))

  it.effect("lets a fast attempt through", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.sleep("200 millis").pipe(Effect.as("done"), Timeouts.withAttemptTimeout("1 second")))
      yield* TestClock.adjust("200 millis")
      expect(yield* Fiber.join(fiber)).toBe("done")
    }))

  it.effect("an attempt timeout is retried by a retry policy", () =>
    Effect.gen(function*() {
      const policy = Either.getOrThrow(RetryPolicy.make({ maxRetries: 2, jitter: "none", initialDelay: 100 }))
      let attempts = 0
      const fiber = yield* Effect.fork(
        retryRequest(policy, HttpClientRequest.get("http://127.0.0.1/"), () => {
          attempts++
          return Timeouts.withAttemptTimeout(Effect.never as Effect.Effect<HttpClientResponse.HttpClientResponse>, "1 second")
        })
      )
      // 1 s attempt, 100 ms, 1 s attempt, 200 ms, 1 s attempt
      yield* TestClock.adjust("3300 millis")
      const exit = yield* Fiber.await(fiber)
      expect(attempts).toBe(3)
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      expect(error).toBeInstanceOf(RetriesExhausted)
      expect((error as RetriesExhausted).lastError).toBeInstanceOf(AttemptTimeout)
    }))
})

describe("withDeadline", () => {
  it.effect("bounds retries and backoff together", () =>
    Effect.gen(function*() {
      let attempts = 0
      const flaky = Effect.suspend(() => {
        attempts++
        return Effect.fail("flaky")
      })
      const fiber = yield* Effect.fork(
        Effect.retry(flaky, Schedule.spaced("1 second")).pipe(Timeouts.withDeadline("3500 millis"))
      )
      yield* TestClock.adjust("3500 millis")
      const exit = yield* Fiber.await(fiber)
      expect(exit).toEqual(Exit.fail(new DeadlineExceeded({ deadline: Duration.millis(3500) })))
      expect(attempts).toBe(4)
    }))

  it.effect("exposes the time remaining; nested deadlines only shorten it", () =>
    Effect.gen(function*() {
      expect(yield* Timeouts.remaining).toEqual(Option.none())
      const fiber = yield* Effect.fork(
        Effect.gen(function*() {
          yield* Effect.sleep("3 seconds")
          const outer = yield* Timeouts.remaining
          const longer = yield* Timeouts.withDeadline(Timeouts.remaining, "1 hour")
          const shorter = yield* Timeouts.withDeadline(Timeouts.remaining, "2 seconds")
          return { outer, longer, shorter }
        }).pipe(Timeouts.withDeadline("10 seconds"))
      )
      yield* TestClock.adjust("3 seconds")
      const r = yield* Fiber.join(fiber)
      expect(r.outer).toEqual(Option.some(Duration.seconds(7)))
      expect(r.longer).toEqual(Option.some(Duration.seconds(7)))
      expect(r.shorter).toEqual(Option.some(Duration.seconds(2)))
    }))

  it.effect("an expired deadline releases the bulkhead slot it held or waited for", () =>
    Effect.gen(function*() {
      const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: 1 })
      const holder = yield* Effect.fork(bulkhead.run(Effect.never).pipe(Timeouts.withDeadline("1 second")))
      yield* Effect.repeatN(Effect.yieldNow(), 10)
      const waiter = yield* Effect.fork(bulkhead.run(Effect.never).pipe(Timeouts.withDeadline("2 seconds")))
      yield* Effect.repeatN(Effect.yieldNow(), 10)
      expect(yield* bulkhead.stats).toMatchObject({ inFlight: 1, queued: 1 })
      yield* TestClock.adjust("1 second")
      expect((yield* Fiber.await(holder))._tag).toBe("Failure")
      // the waiter got the slot
      expect(yield* bulkhead.stats).toMatchObject({ inFlight: 1, queued: 0 })
      yield* TestClock.adjust("1 second")
      expect((yield* Fiber.await(waiter))._tag).toBe("Failure")
      expect(yield* bulkhead.stats).toMatchObject({ inFlight: 0, queued: 0 })
    }))
})

describe("error messages of durations too long for Effect's formatter", () => {
  it("read in millis rather than throwing a RangeError", () => {
    const huge = Duration.millis(1.8e302) // its nanoseconds overflow a double
    expect(new AttemptTimeout({ timeout: huge }).message).toBe("Attempt timed out after 1.8e+302 millis")
    expect(new DeadlineExceeded({ deadline: huge }).message).toBe("Deadline of 1.8e+302 millis exceeded")
    const exhausted = new RetriesExhausted({
      reason: "MaxRetries",
      attempts: 2,
      lastStatus: 503,
      delays: [],
      retryAfter: huge,
      method: "GET",
      url: "https://api.test/x",
      lastResponse: undefined,
      lastError: undefined
    })
    expect(exhausted.message).toContain("retry after 1.8e+302 millis")
  })
})
