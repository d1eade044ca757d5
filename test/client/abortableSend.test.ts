import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Exit, Fiber, Option, TestClock } from "effect"
import * as DeadlineTimer from "../../src/client/DeadlineTimer.js"
import * as AbortableSend from "../../src/client/abortableSend.js"
import { startServer } from "./server.js"

describe("abortable send", () => {
  it("the installed @effect/platform hands a caller-owned controller's signal to its transports", () => {
    // If a platform upgrade drops this, deadlines still work (by racing fibers) but cost more: fail loudly.
    expect(AbortableSend.ownedSignalsSupported()).toBe(true)
  })

  it.scopedLive("a real transport is probed once, then its requests are aborted at the deadline", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 200, delayMs: 3000 }))
      const transport = yield* HttpClient.HttpClient
      const timer = yield* DeadlineTimer.make
      let ignored = 0
      const deadlines = AbortableSend.make(() => ignored++)
      expect(deadlines.mode()).toBe("probe")
      const slow = (deadlineMs: number) =>
        Effect.gen(function*() {
          const started = yield* Clock.currentTimeMillis
          const exit = yield* Effect.exit(
            deadlines.send((r) => transport.execute(r), timer, HttpClientRequest.get(`${server.url}/slow`), started + deadlineMs, () => "timeout" as const)
          )
          return { exit, took: (yield* Clock.currentTimeMillis) - started }
        })
      // First attempt: a raced fiber, which sees undici listen to the signal the client owns.
      const first = yield* slow(100)
      expect(first.exit).toEqual(Exit.fail("timeout"))
      expect(first.took).toBeLessThan(1500)
      expect(deadlines.mode()).toBe("abort")
      // Then: no fiber, the request is aborted at its deadline.
      const second = yield* slow(100)
      expect(second.exit).toEqual(Exit.fail("timeout"))
      expect(second.took).toBeLessThan(1500)
      yield* Effect.sleep(`${AbortableSend.IGNORED_ABORT_GRACE_MS + 100} millis`)
      expect(deadlines.mode()).toBe("abort")
      expect(ignored).toBe(0)
      // A request in time is untouched, its body readable after the deadline would have passed.
      const fast = yield* startServer(() => ({ status: 200, body: { ok: true } }))
      const now = yield* Clock.currentTimeMillis
      const response = yield* deadlines.send((r) => transport.execute(r), timer, HttpClientRequest.get(`${fast.url}/ok`), now + 200, () => "timeout" as const)
      yield* Effect.sleep("300 millis")
      expect(yield* response.json).toEqual({ ok: true })
      expect(timer.pending()).toBe(0)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("a test double that never answers nor reads its signal still times out on the first attempt", () =>
    Effect.gen(function*() {
      const request = HttpClientRequest.get("http://127.0.0.1:1/x")
      const never = HttpClient.make(() => Effect.never)
      const timer = yield* DeadlineTimer.make
      const deadlines = AbortableSend.make(() => {})
      const now = yield* Clock.currentTimeMillis
      const fiber = yield* Effect.fork(deadlines.send((r) => never.execute(r), timer, request, now + 1000, () => "timeout" as const))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.await(fiber)).toEqual(Exit.fail("timeout"))
      // Nobody listened to the signal: the client keeps racing fibers.
      expect(deadlines.mode()).toBe("probe")
    }))

  it.scoped("a transport that listens to the signal but does not stop switches the client to racing fibers", () =>
    Effect.gen(function*() {
      const request = HttpClientRequest.get("http://127.0.0.1:1/x")
      // A double that registers an abort listener that does nothing, and answers late.
      const stubborn = HttpClient.make((req, _url, signal) => {
        signal.addEventListener("abort", () => {})
        return Effect.as(Effect.sleep("10 seconds"), HttpClientResponse.fromWeb(req, new Response("late")))
      })
      const timer = yield* DeadlineTimer.make
      let ignored = 0
      const deadlines = AbortableSend.make(() => ignored++)
      const send = Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.fork(deadlines.send((r) => stubborn.execute(r), timer, request, now + 1000, () => "timeout" as const)))
      // The probe sees a listener: abort mode.
      const probe = yield* send
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.await(probe)).toEqual(Exit.fail("timeout"))
      expect(deadlines.mode()).toBe("abort")

      const first = yield* send
      yield* TestClock.adjust("1 second")
      // Aborted, but the double keeps going: the grace period decides.
      expect(Option.isNone(yield* Fiber.poll(first))).toBe(true)
      yield* TestClock.adjust(AbortableSend.IGNORED_ABORT_GRACE_MS)
      expect(ignored).toBe(1)
      expect(deadlines.mode()).toBe("interrupt")
      yield* TestClock.adjust("8 seconds")
      // The late attempt still ends as a timeout, not as the late response.
      expect(yield* Fiber.await(first)).toEqual(Exit.fail("timeout"))

      // Later attempts are cut at their deadline by interruption.
      const second = yield* send
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.await(second)).toEqual(Exit.fail("timeout"))
      expect(ignored).toBe(1)
    }))
})
