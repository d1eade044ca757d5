import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Either, Exit, Fiber, Random } from "effect"
import * as Bulkhead from "../../src/bulkhead/Bulkhead.js"
import { BulkheadFull } from "../../src/bulkhead/errors.js"

const settle = Effect.repeatN(Effect.yieldNow(), 20)

describe("Bulkhead", () => {
  it.effect("runs at most maxConcurrent, queues at most maxQueue, rejects the rest at once", () =>
    Effect.gen(function*() {
      const bulkhead = yield* Bulkhead.make({ name: "api", maxConcurrent: 2, maxQueue: 1 })
      const gates = yield* Effect.forEach([0, 1, 2, 3], () => Deferred.make<void>())
      const started: Array<number> = []
      const job = (i: number) => bulkhead.run(Effect.zipRight(Effect.sync(() => started.push(i)), Deferred.await(gates[i]!)))
      const f0 = yield* Effect.fork(job(0))
      const f1 = yield* Effect.fork(job(1))
      const f2 = yield* Effect.fork(job(2))
      yield* settle
      expect(started).toEqual([0, 1])
      expect(yield* bulkhead.stats).toMatchObject({ inFlight: 2, queued: 1, rejected: 0 })

      const rejected = yield* Effect.exit(job(3))
      expect(rejected).toEqual(Exit.fail(new BulkheadFull({ name: "api", maxConcurrent: 2, maxQueue: 1 })))
      expect(started).toEqual([0, 1])
      expect((yield* bulkhead.stats).rejected).toBe(1)

      yield* Deferred.succeed(gates[0]!, undefined)
      yield* Fiber.join(f0)
      yield* settle
      expect(started).toEqual([0, 1, 2])
      expect(yield* bulkhead.stats).toMatchObject({ inFlight: 2, queued: 0 })
      yield* Deferred.succeed(gates[1]!, undefined)
      yield* Deferred.succeed(gates[2]!, undefined)
      yield* Fiber.join(f1)
      yield* Fiber.join(f2)
      expect(yield* bulkhead.stats).toMatchObject({ inFlight: 0, queued: 0, rejected: 1, admitted: 3 })
    }))

  it.effect("serves waiters first come, first served", () =>
    Effect.gen(function*() {
      const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: 10 })
      const order: Array<number> = []
      const gate = yield* Deferred.make<void>()
      const first = yield* Effect.fork(bulkhead.run(Deferred.await(gate)))
      yield* settle
      const waiters = []
      for (let i = 0; i < 5; i++) {
        waiters.push(yield* Effect.fork(bulkhead.run(Effect.sync(() => order.push(i)))))
        yield* settle
      }
      expect((yield* bulkhead.stats).queued).toBe(5)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(first)
      for (const w of waiters) yield* Fiber.join(w)
      expect(order).toEqual([0, 1, 2, 3, 4])
    }))

  it.effect("interrupting a waiter gives its queue place back; interrupting a runner frees its slot", () =>
    Effect.gen(function*() {
      const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: 1 })
      const runner = yield* Effect.fork(bulkhead.run(Effect.never))
      yield* settle
      const waiter = yield* Effect.fork(bulkhead.run(Effect.never))
      yield* settle
      expect(yield* bulkhead.stats).toMatchObject({ inFlight: 1, queued: 1 })
      yield* Fiber.interrupt(waiter)
      expect(yield* bulkhead.stats).toMatchObject({ inFlight: 1, queued: 0 })
      // the place is free again
      const waiter2 = yield* Effect.fork(bulkhead.run(Effect.succeed("ran")))
      yield* settle
      expect((yield* bulkhead.stats).queued).toBe(1)
      yield* Fiber.interrupt(runner)
      expect(yield* Fiber.join(waiter2)).toBe("ran")
      expect(yield* bulkhead.stats).toMatchObject({ inFlight: 0, queued: 0, rejected: 0 })
    }))

  it.effect("maxQueue 0 rejects as soon as every slot is busy", () =>
    Effect.gen(function*() {
      const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: 0 })
      const busy = yield* Effect.fork(bulkhead.run(Effect.never))
      yield* settle
      const e = yield* Effect.flip(bulkhead.run(Effect.void))
      expect(e._tag).toBe("BulkheadFull")
      expect(e.message).toContain("full")
      yield* Fiber.interrupt(busy)
      expect(yield* bulkhead.run(Effect.succeed(1))).toBe(1)
    }))

  it.effect("failures and defects of the effect release the slot", () =>
    Effect.gen(function*() {
      const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: 0 })
      yield* Effect.exit(bulkhead.run(Effect.fail("boom")))
      yield* Effect.exit(bulkhead.run(Effect.die("bug")))
      expect((yield* bulkhead.stats).inFlight).toBe(0)
      expect(yield* bulkhead.run(Effect.succeed("ok"))).toBe("ok")
    }))

  it.effect("never exceeds its bounds under random work and interruptions", () =>
    Effect.gen(function*() {
      for (let round = 0; round < 30; round++) {
        const maxConcurrent = 1 + (round % 4)
        const maxQueue = round % 3
        const bulkhead = yield* Bulkhead.make({ maxConcurrent, maxQueue })
        let running = 0
        let peak = 0
        const work = Effect.gen(function*() {
          running++
          peak = Math.max(peak, running)
          // real scheduling interleavings, no clock needed
          yield* Effect.repeatN(Effect.yieldNow(), yield* Random.nextIntBetween(0, 20))
        }).pipe(Effect.ensuring(Effect.sync(() => running--)))
        const fibers = []
        for (let i = 0; i < 30; i++) {
          fibers.push(yield* Effect.fork(bulkhead.run(work)))
          const s = yield* bulkhead.stats
          expect(s.inFlight).toBeLessThanOrEqual(maxConcurrent)
          expect(s.queued).toBeLessThanOrEqual(maxQueue)
          if ((yield* Random.nextIntBetween(0, 3)) === 0) {
            yield* Fiber.interrupt(fibers[(yield* Random.nextIntBetween(0, fibers.length))]!)
          }
          yield* Effect.repeatN(Effect.yieldNow(), yield* Random.nextIntBetween(0, 10))
        }
        for (const f of fibers) yield* Fiber.await(f)
        expect(peak).toBeLessThanOrEqual(maxConcurrent)
        expect(running).toBe(0)
        expect(yield* bulkhead.stats).toMatchObject({ inFlight: 0, queued: 0 })
      }
    }))

  it.effect("the layer and the accessor", () =>
    Effect.gen(function*() {
      expect(yield* Bulkhead.withBulkhead(Effect.succeed(42))).toBe(42)
      expect((yield* (yield* Bulkhead.Bulkhead).stats).admitted).toBe(1)
    }).pipe(Effect.provide(Bulkhead.layer({ maxConcurrent: 1, maxQueue: 1 }))))

  it("rejects bad options naming the field", () => {
    const field = (o: Bulkhead.BulkheadOptions) =>
      Either.match(Bulkhead.validate(o), { onLeft: (e) => e.field, onRight: () => "valid" })
    expect(field({ maxConcurrent: 1, maxQueue: 0 })).toBe("valid")
    expect(field({ maxConcurrent: 0, maxQueue: 0 })).toBe("maxConcurrent")
    expect(field({ maxConcurrent: 1.5, maxQueue: 0 })).toBe("maxConcurrent")
    expect(field({ maxConcurrent: 1, maxQueue: -1 })).toBe("maxQueue")
    expect(field({ maxConcurrent: 1, maxQueue: Infinity })).toBe("maxQueue")
    expect(field({ maxConcurrent: 1, maxQueue: 1, name: "" })).toBe("name")
    // The config's bounds hold for the options too (issue 12, item 10).
    expect(field({ maxConcurrent: 1e9, maxQueue: 0 })).toBe("maxConcurrent")
    expect(field({ maxConcurrent: 1, maxQueue: 1e12 })).toBe("maxQueue")
    expect(field({ maxConcurrent: 100_000, maxQueue: 1_000_000 })).toBe("valid")
  })

  it.effect("make decodes with BulkheadOptionsSchema: a typed error naming the field, with the schema's reason", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(Bulkhead.make({ maxQueue: 1 } as unknown as Bulkhead.BulkheadOptions))
      expect(missing).toMatchObject({ _tag: "InvalidBulkheadOptions", field: "maxConcurrent" })
      const text = yield* Effect.flip(Bulkhead.make({ maxConcurrent: 1, maxQueue: "5" } as unknown as Bulkhead.BulkheadOptions))
      expect(text).toMatchObject({ _tag: "InvalidBulkheadOptions", field: "maxQueue" })
      const bad = yield* Effect.flip(Bulkhead.make({ maxConcurrent: 0, maxQueue: 0 }))
      expect(bad.reason).toBe("Expected a whole number from 1 to 100000, got 0")
    }))
})
