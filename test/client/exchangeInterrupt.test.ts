/**
 * A request interrupted mid-flight must not leave its exchange on the fiber: a fiber that goes on
 * after the interruption (a finalizer, `uninterruptibleMask` + `exit`) and sends the same request
 * again would otherwise join the stale exchange (its deadline long past, its counters), and any other
 * request would restore it as the fiber's exchange when it ends.
 */
import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Exit, Fiber, FiberId, TestClock } from "effect"
import * as Limit from "../../src/limiter/Limit.js"
import * as RateLimiter from "../../src/RateLimiter.js"
import * as ResilientClient from "../../src/ResilientClient.js"

describe("exchange on interruption", () => {
  it.effect("the same request sent again on the fiber after an interruption starts a fresh exchange", () =>
    Effect.gen(function*() {
      let calls = 0
      // The first attempt hangs until interrupted; later ones answer at once.
      const transport = HttpClient.make((request) =>
        calls++ === 0 ? Effect.never : Effect.succeed(HttpClientResponse.fromWeb(request, new Response(null, { status: 200 })))
      )
      const observer = ResilientClient.Observer.make({ api: "interrupted" })
      const client = transport.pipe(
        ResilientClient.withRateLimiter({ observer }),
        ResilientClient.withDeadline("1 second"),
        ResilientClient.withMetrics(observer)
      )
      const request = HttpClientRequest.get("http://api.test/x")
      const results: Array<Exit.Exit<number, unknown>> = []
      const send = Effect.map(client.execute(request), (r) => r.status)
      const fiber = yield* Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          results.push(yield* Effect.exit(restore(send)))
          // Well past the first request's deadline: a fresh exchange has a deadline of its own.
          yield* TestClock.adjust("5 seconds")
          results.push(yield* Effect.exit(send))
        })
      ).pipe(
        Effect.provide(RateLimiter.layerMemory({ limits: [Limit.perSecond("rps", 100)] })),
        Effect.fork
      )
      yield* TestClock.adjust("10 millis")
      expect(calls).toBe(1)
      yield* Fiber.interrupt(fiber)
      expect(results.length).toBe(2)
      expect(Exit.isInterrupted(results[0]!)).toBe(true)
      expect(results[1]).toEqual(Exit.succeed(200))
    }))
})

describe("exchange on an interruption as it opens", () => {
  it.effect("an interruption that arrives as the exchange is installed leaves no entry behind", () =>
    Effect.gen(function*() {
      const transport = HttpClient.make((request) =>
        Effect.succeed(HttpClientResponse.fromWeb(request, new Response(null, { status: 429 })))
      )
      const observer = ResilientClient.Observer.make({ api: "opening" })
      const client = transport.pipe(ResilientClient.withRateLimiter({ observer }), ResilientClient.withMetrics(observer))
      const request = HttpClientRequest.get("http://api.test/x")
      const send = Effect.map(client.execute(request), (r) => r.status)
      // A clock that interrupts the fiber reading it, once: the exchange reads it as it opens, so the
      // interruption is delivered at the very next step of the fiber (before any handler is set up).
      const base = yield* Effect.clock
      let self: Fiber.RuntimeFiber<unknown, unknown> | undefined
      const tripping: Clock.Clock = Object.create(base, {
        unsafeCurrentTimeMillis: {
          value: () => {
            if (self !== undefined) {
              self.unsafeInterruptAsFork(FiberId.none)
              self = undefined
            }
            return base.unsafeCurrentTimeMillis()
          }
        }
      })
      const results: Array<Exit.Exit<number, unknown>> = []
      yield* Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          self = yield* Effect.withFiberRuntime<Fiber.RuntimeFiber<unknown, unknown>>((fiber) => Effect.succeed(fiber))
          results.push(yield* Effect.exit(restore(Effect.withClock(send, tripping))))
          results.push(yield* Effect.exit(send))
          results.push(yield* Effect.exit(send))
        })
      ).pipe(
        Effect.provide(RateLimiter.layerMemory({ limits: [Limit.perSecond("rps", 100)] })),
        Effect.fork,
        Effect.flatMap(Fiber.await)
      )
      expect(Exit.isInterrupted(results[0]!)).toBe(true)
      expect(results.slice(1)).toEqual([Exit.succeed(429), Exit.succeed(429)])
      // Each request counts its own 429 (joining a stale exchange, the third counted the second's too).
      expect(observer.stats.current.rateLimited).toBe(2)
      expect(observer.stats.current.totalRequests).toBe(2)
    }))
})
