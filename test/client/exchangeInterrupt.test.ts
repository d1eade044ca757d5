/**
 * A request interrupted mid-flight must not leave its exchange on the fiber: a fiber that goes on
 * after the interruption (a finalizer, `uninterruptibleMask` + `exit`) and sends the same request
 * again would otherwise join the stale exchange (its deadline long past, its counters), and any other
 * request would restore it as the fiber's exchange when it ends.
 */
import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, TestClock } from "effect"
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
