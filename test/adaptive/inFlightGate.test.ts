/**
 * The in-flight gate's cost and bounds: no store read below the smallest cap the burst allows (a
 * hung store never delays a send there); a full key's waiters cost one store read and one pause a
 * slot, whatever their number; a wait ends at `maxRetryAfter`, not at the slot after it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Ref, TestClock } from "effect"
import * as AdaptiveController from "../../src/adaptive/AdaptiveController.js"
import * as Aimd from "../../src/adaptive/aimd.js"
import { Limit } from "../../src/index.js"
import { layerMemory } from "../../src/limiter/memory.js"
import { RateLimiter, type RateLimiterShape } from "../../src/limiter/RateLimiter.js"

const limiter = layerMemory({ limits: [Limit.perSecond("api", 1000)], throttle: false })

const steady = (rate: number, rttMs: number): Aimd.AimdState => ({ ...Aimd.initial(Aimd.defaultConfig(rate)), phase: "steady", rate, rttMs })

/** A memory store holding `state` for "k" whose reads are counted, and hang while `hung` is set. */
const counted = (state: Aimd.AimdState) =>
  Effect.gen(function*() {
    const store = yield* AdaptiveController.makeMemoryStore
    yield* store.modify("k", () => [undefined, state])
    const reads = yield* Ref.make(0)
    const hung = yield* Ref.make(false)
    const wrapped: AdaptiveController.ControllerStore = {
      ...store,
      get: (key) =>
        Effect.zipRight(Ref.update(reads, (n) => n + 1), Effect.flatMap(Ref.get(hung), (h) => (h ? Effect.never : store.get(key))))
    }
    return { store: wrapped, reads, hung }
  })

/** The limiter with its `cooldown` calls counted. */
const countingCooldowns = (rl: RateLimiterShape, n: Ref.Ref<number>): RateLimiterShape => ({
  ...rl,
  cooldown: (key, d) => Effect.zipRight(Ref.update(n, (x) => x + 1), rl.cooldown(key, d))
})

describe("in-flight gate", () => {
  it.effect("below the smallest cap the burst allows, a send reads no state: a hung store delays nothing", () =>
    Effect.gen(function*() {
      // A burst of 4: no cap below 4, whatever the state.
      const { hung, reads, store } = yield* counted(steady(50, 10))
      const c = yield* AdaptiveController.makeWithStore({ initialRate: 50, burst: 4 }, store)
      yield* Ref.set(hung, true)
      const held = yield* Effect.forEach([1, 2, 3], () => Effect.fork(c.inFlight("k", Effect.never)))
      const sent = yield* Ref.make(0)
      const fourth = yield* Effect.fork(c.inFlight("k", Ref.update(sent, (n) => n + 1)))
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(fourth)
      expect(yield* Ref.get(sent)).toBe(1)
      expect(yield* Ref.get(reads)).toBe(0)
      yield* Effect.forEach(held, Fiber.interrupt)
    }).pipe(Effect.provide(limiter)))

  it.effect("a full key's waiters read the state and pause the pace once a slot for all of them, and go when a request leaves", () =>
    Effect.gen(function*() {
      // Steady at 50 per second (a slot of 20 ms), 10 ms round trip, burst 1: a cap of 3.
      const { reads, store } = yield* counted(steady(50, 10))
      const pauses = yield* Ref.make(0)
      const rl = countingCooldowns(yield* RateLimiter, pauses)
      const c = yield* AdaptiveController.makeWithStore({ initialRate: 50, maxRetryAfter: "1 second", burst: 1 }, store).pipe(
        Effect.provideService(RateLimiter, rl)
      )
      const held = yield* Effect.forEach([1, 2, 3], () => Effect.fork(c.inFlight("k", Effect.never)))
      yield* TestClock.adjust("1 millis")
      const sent = yield* Ref.make(0)
      const send = Effect.zipRight(Ref.update(sent, (n) => n + 1), Effect.never)
      const waiters = yield* Effect.forEach(Array.from({ length: 10 }), () => Effect.fork(c.inFlight("k", send)))
      yield* TestClock.adjust("1 millis")
      yield* Ref.set(reads, 0)
      // 200 ms: 10 slots, the answers late after 40 ms. One watcher's looks and pauses, not ten.
      for (let i = 0; i < 10; i++) yield* TestClock.adjust("20 millis")
      expect(yield* Ref.get(sent)).toBe(0)
      expect(yield* Ref.get(reads)).toBeLessThanOrEqual(11)
      expect(yield* Ref.get(pauses)).toBeGreaterThanOrEqual(7)
      expect(yield* Ref.get(pauses)).toBeLessThanOrEqual(10)
      // One request leaves: one waiter goes at once, not at a slot's end.
      yield* Fiber.interrupt(held[0]!)
      yield* TestClock.adjust("0 millis")
      expect(yield* Ref.get(sent)).toBe(1)
      yield* Effect.forEach([...held, ...waiters], Fiber.interrupt)
    }).pipe(Effect.provide(limiter)))

  it.effect("a wait ends at maxRetryAfter, not at the first slot past it", () =>
    Effect.gen(function*() {
      // 1 request per 0.6 s, 10 ms round trip, burst 1: a cap of 3; maxRetryAfter 1 s.
      const { store } = yield* counted(steady(1 / 0.6, 10))
      const c = yield* AdaptiveController.makeWithStore({ initialRate: 1, maxRetryAfter: "1 second", burst: 1 }, store)
      const held = yield* Effect.forEach([1, 2, 3], () => Effect.fork(c.inFlight("k", Effect.never)))
      const sent = yield* Ref.make(0)
      const fourth = yield* Effect.fork(c.inFlight("k", Ref.update(sent, (n) => n + 1)))
      yield* TestClock.adjust("999 millis")
      expect(yield* Ref.get(sent)).toBe(0)
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(fourth)
      expect(yield* Ref.get(sent)).toBe(1)
      yield* Effect.forEach(held, Fiber.interrupt)
    }).pipe(Effect.provide(limiter)))
})
