import { HttpClientError, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Chunk, Deferred, Duration, Effect, Either, Exit, Fiber, Stream, TestClock } from "effect"
import * as CircuitBreaker from "../../src/breaker/CircuitBreaker.js"
import { CircuitOpenError } from "../../src/breaker/errors.js"

const request = HttpClientRequest.get("http://127.0.0.1/")
const response = (status: number) => HttpClientResponse.fromWeb(request, new Response(null, { status }))
const transport = new HttpClientError.RequestError({ request, reason: "Transport" })

const ok = Effect.succeed(response(200))
const fail503 = Effect.succeed(response(503))

const openErrorOf = <A, E>(exit: Exit.Exit<A, E>): CircuitOpenError => {
  if (Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error instanceof CircuitOpenError) {
    return exit.cause.error
  }
  throw new Error(`expected CircuitOpenError, got ${String(exit)}`)
}

describe("CircuitBreaker", () => {
  it.scoped("trips after consecutive failures, half-opens after the timeout, closes on a probe", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make({ name: "api", failureThreshold: 3, recoveryTimeout: "10 seconds" })
      const changes = yield* breaker.subscribe
      // a success in between resets the count
      yield* breaker.withBreaker(fail503)
      yield* breaker.withBreaker(fail503)
      yield* breaker.withBreaker(ok)
      yield* breaker.withBreaker(fail503)
      yield* breaker.withBreaker(fail503)
      expect((yield* breaker.state).state).toBe("closed")
      expect((yield* breaker.state).consecutiveFailures).toBe(2)
      yield* TestClock.adjust("1 second")
      yield* breaker.withBreaker(fail503)
      const open = yield* breaker.state
      expect(open).toMatchObject({ state: "open", trips: 1, nextAttemptAt: 11_000, openedAt: 1_000 })

      yield* TestClock.adjust("4 seconds")
      let called = false
      const rejected = yield* Effect.exit(breaker.withBreaker(Effect.sync(() => (called = true))))
      expect(called).toBe(false)
      const err = openErrorOf(rejected)
      expect(err).toMatchObject({ name: "api", state: "open", halfOpenAt: 11_000 })
      expect(Duration.toMillis(err.remaining)).toBe(6_000)
      expect(err.message).toContain("half-open in")
      expect((yield* breaker.state).rejected).toBe(1)

      yield* TestClock.adjust("7 seconds")
      expect((yield* breaker.state).state).toBe("half-open")
      yield* breaker.withBreaker(ok)
      expect((yield* breaker.state)).toMatchObject({ state: "closed", trips: 1, consecutiveFailures: 0, nextAttemptAt: null })

      const seen = yield* Stream.runCollect(Stream.take(changes, 3))
      expect(Chunk.toReadonlyArray(seen).map((c) => [c.from, c.to, c.at, c.reason, c.name])).toEqual([
        ["closed", "open", 1_000, "ConsecutiveFailures", "api"],
        ["open", "half-open", 11_000, "RecoveryTimeout", "api"],
        ["half-open", "closed", 12_000, "ProbesSucceeded", "api"]
      ])
    }))

  it.effect("a failed probe re-opens for another recovery period", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make({ failureThreshold: 1, recoveryTimeout: 1_000 })
      yield* breaker.withBreaker(fail503)
      yield* TestClock.adjust(1_000)
      yield* breaker.withBreaker(Effect.fail(transport)).pipe(Effect.ignore)
      const s = yield* breaker.state
      expect(s).toMatchObject({ state: "open", trips: 2, nextAttemptAt: 2_000 })
    }))

  it.effect("needs successThreshold probe successes to close", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make({ failureThreshold: 1, successThreshold: 3, recoveryTimeout: 100 })
      yield* breaker.withBreaker(fail503)
      yield* TestClock.adjust(100)
      yield* breaker.withBreaker(ok)
      yield* breaker.withBreaker(ok)
      expect(yield* breaker.state).toMatchObject({ state: "half-open", halfOpenSuccesses: 2 })
      yield* breaker.withBreaker(ok)
      expect((yield* breaker.state).state).toBe("closed")
    }))

  it.effect("trips on the failure rate over the sliding window once minimumCalls are seen", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make({ failureRate: 0.5, windowSize: 6, minimumCalls: 4 })
      // 3 failures out of 3 calls: below minimumCalls, no trip (no consecutive threshold is set)
      for (let i = 0; i < 3; i++) yield* breaker.withBreaker(fail503)
      expect((yield* breaker.state).state).toBe("closed")
      // 4th call a success: 3/4 = 75% but a success never trips
      yield* breaker.withBreaker(ok)
      expect((yield* breaker.state)).toMatchObject({ state: "closed", failures: 3, windowCalls: 4 })
      // 5th a failure: 4/5
      yield* breaker.withBreaker(fail503)
      expect((yield* breaker.state).state).toBe("open")
    }))

  it.effect("the window slides: old failures drop out", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make({ failureRate: 0.5, windowSize: 4, minimumCalls: 4 })
      // F S S S → 25%; then S S S → window S S S S, F gone
      yield* breaker.withBreaker(fail503)
      for (let i = 0; i < 6; i++) yield* breaker.withBreaker(ok)
      expect(yield* breaker.state).toMatchObject({ failures: 0, windowCalls: 4 })
      // F F → window S S F F = 50% → trip
      yield* breaker.withBreaker(fail503)
      expect((yield* breaker.state).state).toBe("closed")
      yield* breaker.withBreaker(fail503)
      expect(yield* breaker.state).toMatchObject({ state: "open" })
    }))

  it.effect("half-open admits at most halfOpenMaxProbes at once; interruption frees a slot", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make({ failureThreshold: 1, recoveryTimeout: 1_000, halfOpenMaxProbes: 2, successThreshold: 2 })
      yield* breaker.withBreaker(fail503)
      yield* TestClock.adjust(1_000)
      const gate = yield* Deferred.make<void>()
      const probe = breaker.withBreaker(Effect.zipRight(Deferred.await(gate), ok))
      const p1 = yield* Effect.fork(probe)
      const p2 = yield* Effect.fork(probe)
      yield* Effect.yieldNow()
      expect((yield* breaker.state).probesInFlight).toBe(2)
      const third = yield* Effect.exit(breaker.withBreaker(ok))
      expect(openErrorOf(third)).toMatchObject({ state: "half-open" })
      expect(Duration.toMillis(openErrorOf(third).remaining)).toBe(0)
      yield* Fiber.interrupt(p2)
      expect((yield* breaker.state).probesInFlight).toBe(1)
      const p3 = yield* Effect.fork(probe)
      yield* Effect.yieldNow()
      expect((yield* breaker.state).probesInFlight).toBe(2)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(p1)
      yield* Fiber.join(p3)
      expect((yield* breaker.state).state).toBe("closed")
    }))

  it.effect("withPermit tells the effect whether it runs as a probe, and never runs it when rejected", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make({ failureThreshold: 1, recoveryTimeout: 1_000 })
      const probes: Array<boolean> = []
      const seen = (result: Effect.Effect<HttpClientResponse.HttpClientResponse>) => (probe: boolean) =>
        Effect.zipRight(Effect.sync(() => probes.push(probe)), result)
      yield* breaker.withPermit(seen(fail503))
      const rejected = yield* Effect.exit(breaker.withPermit(seen(ok)))
      expect(openErrorOf(rejected)).toMatchObject({ state: "open" })
      yield* TestClock.adjust(1_000)
      yield* breaker.withPermit(seen(ok))
      yield* breaker.withPermit(seen(ok))
      expect(probes).toEqual([false, true, false])
      expect((yield* breaker.state)).toMatchObject({ state: "closed", trips: 1, rejected: 1 })
    }))

  it.effect("results of calls admitted before a trip are ignored", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make({ failureThreshold: 1, recoveryTimeout: 1_000 })
      const slow = yield* breaker.admit
      yield* breaker.withBreaker(fail503)
      yield* TestClock.adjust(1_000)
      expect((yield* breaker.state).state).toBe("half-open")
      // the old call reports success: it must not close the breaker as if it were a probe
      yield* slow.record("success")
      expect((yield* breaker.state).state).toBe("half-open")
      // reporting twice is a no-op
      const permit = yield* breaker.admit
      yield* permit.record("failure")
      yield* permit.record("success")
      expect(yield* breaker.state).toMatchObject({ state: "open", trips: 2 })
    }))

  it.effect("default classification: 5xx, 429, transport errors and timeouts fail; other 4xx do not", () =>
    Effect.gen(function*() {
      const c = CircuitBreaker.defaultClassify
      expect(c(Exit.succeed(response(500)))).toBe("failure")
      expect(c(Exit.succeed(response(503)))).toBe("failure")
      expect(c(Exit.succeed(response(429)))).toBe("failure")
      expect(c(Exit.succeed(response(404)))).toBe("success")
      expect(c(Exit.succeed(response(400)))).toBe("success")
      expect(c(Exit.succeed(response(200)))).toBe("success")
      expect(c(Exit.fail(transport))).toBe("failure")
      expect(c(Exit.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl" })))).toBe("ignore")
      expect(c(Exit.fail(new HttpClientError.ResponseError({ request, response: response(502), reason: "StatusCode" }))))
        .toBe("failure")
      expect(c(Exit.fail(new HttpClientError.ResponseError({ request, response: response(401), reason: "StatusCode" }))))
        .toBe("success")
      expect(c(Exit.fail(new Cause.TimeoutException()))).toBe("failure")
      expect(c(Exit.fail({ _tag: "AttemptTimeout" }))).toBe("failure")
      expect(c(Exit.fail({ _tag: "RateLimitExceeded" }))).toBe("ignore")
      expect(c(Exit.interrupt(Fiber.id(yield* Effect.fork(Effect.void))))).toBe("ignore")
      expect(c(Exit.die("bug"))).toBe("ignore")

      const breaker = yield* CircuitBreaker.make({ failureThreshold: 2 })
      for (let i = 0; i < 5; i++) yield* breaker.withBreaker(Effect.succeed(response(404)))
      yield* breaker.withBreaker(Effect.fail({ _tag: "RateLimitExceeded" })).pipe(Effect.ignore)
      yield* breaker.withBreaker(Effect.fail({ _tag: "RateLimitExceeded" })).pipe(Effect.ignore)
      expect((yield* breaker.state).state).toBe("closed")
      yield* breaker.withBreaker(Effect.succeed(response(429)))
      yield* breaker.withBreaker(Effect.fail(transport)).pipe(Effect.ignore)
      expect((yield* breaker.state).state).toBe("open")
    }))

  it.effect("classify overrides the classification", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make({
        failureThreshold: 1,
        classify: (exit) =>
          Exit.isSuccess(exit) && (exit.value as HttpClientResponse.HttpClientResponse).status === 404 ? "failure" : "success"
      })
      yield* breaker.withBreaker(fail503)
      expect((yield* breaker.state).state).toBe("closed")
      yield* breaker.withBreaker(Effect.succeed(response(404)))
      expect((yield* breaker.state).state).toBe("open")
    }))

  it.effect("recordSuccess / recordFailure feed outcomes from outside", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make({ failureThreshold: 2, recoveryTimeout: 50 })
      yield* breaker.recordFailure
      yield* breaker.recordFailure
      expect((yield* breaker.state).state).toBe("open")
      yield* TestClock.adjust(50)
      yield* breaker.recordSuccess
      expect((yield* breaker.state).state).toBe("closed")
    }))

  it.effect("force opens and closes", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make({ recoveryTimeout: 1_000 })
      yield* breaker.force("open")
      expect(yield* breaker.state).toMatchObject({ state: "open", trips: 1 })
      yield* breaker.force("closed")
      expect((yield* breaker.state).state).toBe("closed")
    }))

  it.effect("the layer and the accessor", () =>
    Effect.gen(function*() {
      yield* CircuitBreaker.withBreaker(fail503)
      const b = yield* CircuitBreaker.CircuitBreaker
      expect(yield* b.state).toMatchObject({ name: "svc", state: "open" })
      const exit = yield* Effect.exit(CircuitBreaker.withBreaker(ok))
      expect(openErrorOf(exit).name).toBe("svc")
    }).pipe(Effect.provide(CircuitBreaker.layer({ name: "svc", failureThreshold: 1 }))))

  it("rejects bad options naming the field", () => {
    const field = (o: CircuitBreaker.CircuitBreakerOptions) =>
      Either.match(CircuitBreaker.resolveOptions(o), { onLeft: (e) => e.field, onRight: () => "valid" })
    expect(field({})).toBe("valid")
    expect(field({ failureThreshold: 0 })).toBe("failureThreshold")
    expect(field({ failureRate: 0 })).toBe("failureRate")
    expect(field({ failureRate: 1.5 })).toBe("failureRate")
    expect(field({ windowSize: 2.5 })).toBe("windowSize")
    expect(field({ windowSize: 5, minimumCalls: 6 })).toBe("minimumCalls")
    expect(field({ successThreshold: -1 })).toBe("successThreshold")
    expect(field({ halfOpenMaxProbes: 0 })).toBe("halfOpenMaxProbes")
    expect(field({ recoveryTimeout: -1 })).toBe("recoveryTimeout")
    expect(field({ recoveryTimeout: "later" as Duration.DurationInput })).toBe("recoveryTimeout")
    expect(field({ name: "" })).toBe("name")
    // The config's bounds hold for the options too (issue 12, item 10).
    expect(field({ windowSize: 1e9 })).toBe("windowSize")
    expect(field({ failureThreshold: 10_001 })).toBe("failureThreshold")
    expect(field({ recoveryTimeout: "365 days" })).toBe("recoveryTimeout")
    expect(field({ recoveryTimeout: "-5 seconds" as Duration.DurationInput })).toBe("recoveryTimeout")
    expect(field({ windowSize: 10_000, minimumCalls: 10_000, recoveryTimeout: "1 day" })).toBe("valid")
  })

  it("decodes with CircuitBreakerOptionsSchema: a typed error naming the field, with the schema's reason", () => {
    const error = (o: unknown) =>
      Either.match(CircuitBreaker.resolveOptions(o as CircuitBreaker.CircuitBreakerOptions), {
        onLeft: (e) => ({ _tag: e._tag, field: e.field, reason: e.reason }),
        onRight: () => "valid"
      })
    expect(error({ classify: "5xx" })).toEqual({ _tag: "InvalidCircuitBreakerOptions", field: "classify", reason: "expected a function" })
    expect(error({ failureThreshold: "3" })).toMatchObject({ field: "failureThreshold" })
    expect(error({ windowSize: 0 })).toMatchObject({ field: "windowSize", reason: "Expected a whole number from 1 to 10000, got 0" })
    expect(error({ recoveryTimeout: "later" })).toMatchObject({ field: "recoveryTimeout", reason: expect.stringContaining("got \"later\"") })
    expect(error({ windowSize: 5, minimumCalls: 6 })).toMatchObject({ reason: "minimumCalls 6 must be <= windowSize 5" })
    // The options accept a zero recovery (probe at once); the config section does not (see sections.ts).
    expect(error({ recoveryTimeout: 0 })).toBe("valid")
  })

  it.effect("a keyed breaker names a bad maxKeys", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(CircuitBreaker.makeKeyed({ maxKeys: 0 }))
      expect(e).toMatchObject({ _tag: "InvalidCircuitBreakerOptions", field: "maxKeys" })
    }))
})

describe("KeyedCircuitBreaker", () => {
  it.scoped("keeps one breaker per key and publishes every key's changes", () =>
    Effect.gen(function*() {
      const keyed = yield* CircuitBreaker.makeKeyed({ name: "hosts", failureThreshold: 1 })
      const changes = yield* keyed.subscribe
      yield* keyed.withBreaker(fail503, "a")
      yield* keyed.withBreaker("b")(ok)
      const states = yield* keyed.states
      expect(states.get("a")?.state).toBe("open")
      expect(states.get("b")?.state).toBe("closed")
      expect(states.get("a")?.name).toBe("hosts/a")
      expect(yield* Effect.exit(keyed.withBreaker(ok, "a"))).toMatchObject({ _tag: "Failure" })
      expect(Exit.isSuccess(yield* Effect.exit(keyed.withBreaker(ok, "b")))).toBe(true)
      expect((yield* keyed.get("a")) === (yield* keyed.get("a"))).toBe(true)
      const first = yield* Stream.runHead(changes)
      expect(first).toMatchObject({ _tag: "Some", value: { name: "hosts/a", to: "open" } })
    }))

  it.effect("is bounded: the least recently used key is dropped", () =>
    Effect.gen(function*() {
      const keyed = yield* CircuitBreaker.makeKeyed({ failureThreshold: 1, maxKeys: 2 })
      yield* keyed.withBreaker(fail503, "a")
      yield* keyed.withBreaker(ok, "b")
      yield* keyed.get("a") // a is now the most recent
      yield* keyed.withBreaker(ok, "c") // drops b
      expect(yield* keyed.size).toBe(2)
      expect([...(yield* keyed.states).keys()].sort()).toEqual(["a", "c"])
      expect((yield* keyed.states).get("a")?.state).toBe("open")
    }))

  it.effect("rejects a bad maxKeys", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(CircuitBreaker.makeKeyed({ maxKeys: 0 }))
      expect(e.field).toBe("maxKeys")
    }))
})
