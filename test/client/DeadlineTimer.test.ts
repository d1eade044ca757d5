import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { Clock, Effect, Exit, Fiber, Logger, LogLevel, Option, TestClock } from "effect"
import * as fc from "fast-check"
import * as DeadlineTimer from "../../src/client/DeadlineTimer.js"

describe("DeadlineTimer", () => {
  it.scoped("fires at the deadline, not before, and not after a cancel", () =>
    Effect.gen(function*() {
      const timer = yield* DeadlineTimer.make
      const now = yield* Clock.currentTimeMillis
      const fired: Array<string> = []
      timer.schedule(now + 1000, () => fired.push("a"))
      const b = timer.schedule(now + 1000, () => fired.push("b"))
      timer.schedule(now + 3000, () => fired.push("c"))
      timer.cancel(b)
      expect(timer.pending()).toBe(2)
      yield* TestClock.adjust("999 millis")
      expect(fired).toEqual([])
      yield* TestClock.adjust("1 millis")
      expect(fired).toEqual(["a"])
      yield* TestClock.adjust("2 seconds")
      expect(fired).toEqual(["a", "c"])
      expect(timer.pending()).toBe(0)
    }))

  it.scoped("a deadline cancelled by another's callback at the same instant does not fire, nor count twice", () =>
    Effect.gen(function*() {
      const timer = yield* DeadlineTimer.make
      const now = yield* Clock.currentTimeMillis
      const fired: Array<string> = []
      let b: DeadlineTimer.DeadlineEntry | undefined
      timer.schedule(now + 500, () => {
        fired.push("a")
        timer.cancel(b!)
      })
      b = timer.schedule(now + 500, () => fired.push("b"))
      timer.schedule(now + 900, () => fired.push("c"))
      yield* TestClock.adjust("500 millis")
      expect(fired).toEqual(["a"])
      expect(timer.pending()).toBe(1)
      yield* TestClock.adjust("400 millis")
      expect(fired).toEqual(["a", "c"])
      expect(timer.pending()).toBe(0)
    }))

  it.scoped("an earlier deadline registered after a later one still fires on time", () =>
    Effect.gen(function*() {
      const timer = yield* DeadlineTimer.make
      const now = yield* Clock.currentTimeMillis
      const fired: Array<number> = []
      timer.schedule(now + 30_000, () => fired.push(30_000))
      timer.schedule(now + 100, () => fired.push(100))
      yield* TestClock.adjust("100 millis")
      expect(fired).toEqual([100])
      yield* TestClock.adjust("30 seconds")
      expect(fired).toEqual([100, 30_000])
    }))

  it.scoped("fires exactly the live deadlines that are due, in time order (property)", () =>
    Effect.gen(function*() {
      const cases = fc.sample(
        fc.record({
          deadlines: fc.array(fc.record({ at: fc.integer({ min: 0, max: 5000 }), cancel: fc.boolean() }), { maxLength: 40 }),
          steps: fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 6 })
        }),
        { numRuns: 60, seed: 42 }
      )
      for (const c of cases) {
        const timer = yield* DeadlineTimer.make
        const start = yield* Clock.currentTimeMillis
        const fired: Array<number> = []
        const entries = c.deadlines.map((d) => timer.schedule(start + d.at, () => fired.push(d.at)))
        c.deadlines.forEach((d, i) => d.cancel && timer.cancel(entries[i]!))
        let elapsed = 0
        for (const step of c.steps) {
          yield* TestClock.adjust(step)
          elapsed += step
          const due = c.deadlines.filter((d) => !d.cancel && d.at <= elapsed).map((d) => d.at)
          expect([...fired].sort((x, y) => x - y)).toEqual(due.sort((x, y) => x - y))
          // Instants fire in order: the sequence is sorted.
          expect(fired).toEqual([...fired].sort((x, y) => x - y))
        }
        expect(timer.pending()).toBe(c.deadlines.filter((d) => !d.cancel && d.at > elapsed).length)
      }
    }))

  it("under the default clock it fires on time and never keeps the process alive", () => {
    const started = Date.now()
    const run = spawnSync(process.execPath, ["--import", "tsx", "test/client/fixtures/lingering.ts"], {
      encoding: "utf8",
      timeout: 30_000
    })
    expect(run.stderr).toBe("")
    expect(run.stdout.trim().split("\n")).toEqual(["fired", "done"])
    // Not the 60 s of the pending deadline.
    expect(Date.now() - started).toBeLessThan(20_000)
  })

  describe("raceDeadline", () => {
    it.scoped("fails with onTimeout at the deadline and interrupts the slow effect", () =>
      Effect.gen(function*() {
        const timer = yield* DeadlineTimer.make
        const now = yield* Clock.currentTimeMillis
        let interrupted = false
        const slow = Effect.sleep("5 seconds").pipe(Effect.as("late"), Effect.onInterrupt(() => Effect.sync(() => { interrupted = true })))
        const fiber = yield* Effect.fork(DeadlineTimer.raceDeadline(timer, slow, now + 1000, () => "timeout" as const))
        yield* TestClock.adjust("999 millis")
        expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
        yield* TestClock.adjust("1 millis")
        expect(yield* Fiber.await(fiber)).toEqual(Exit.fail("timeout"))
        yield* Effect.yieldNow()
        expect(interrupted).toBe(true)
        expect(timer.pending()).toBe(0)
      }))

    it.scoped("returns a result that arrives in time, and cancels its deadline", () =>
      Effect.gen(function*() {
        const timer = yield* DeadlineTimer.make
        const now = yield* Clock.currentTimeMillis
        const fiber = yield* Effect.fork(
          DeadlineTimer.raceDeadline(timer, Effect.as(Effect.sleep("200 millis"), "done"), now + 1000, () => "timeout")
        )
        yield* TestClock.adjust("200 millis")
        expect(yield* Fiber.join(fiber)).toBe("done")
        expect(timer.pending()).toBe(0)
        // A synchronous effect never registers a deadline.
        expect(yield* DeadlineTimer.raceDeadline(timer, Effect.succeed(1), now, () => "timeout")).toBe(1)
      }))

    it.scoped("a raced failure is the caller's result, never logged again as an unhandled error", () => {
      const lines: Array<string> = []
      const capture = Logger.make(({ message }) => {
        lines.push(String(message))
      })
      return Effect.gen(function*() {
        const timer = yield* DeadlineTimer.make
        const now = yield* Clock.currentTimeMillis
        const failing = Effect.zipRight(Effect.sleep("10 millis"), Effect.fail("boom at /x?key=s3cr3t"))
        // The clock moves in a fiber of its own: the caller awaits the race itself (a failing forked
        // caller would log its own unhandled error).
        yield* Effect.fork(Effect.zipRight(Effect.yieldNow(), TestClock.adjust("10 millis")))
        const exit = yield* Effect.exit(DeadlineTimer.raceDeadline(timer, failing, now + 1000, () => "timeout"))
        expect(exit).toEqual(Exit.fail("boom at /x?key=s3cr3t"))
        yield* Effect.yieldNow()
        expect(lines.filter((l) => l.includes("unhandled")).join("\n")).toBe("")
      }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, capture)), Logger.withMinimumLogLevel(LogLevel.All))
    })

    it.scoped("interrupting the caller interrupts the raced effect", () =>
      Effect.gen(function*() {
        const timer = yield* DeadlineTimer.make
        const now = yield* Clock.currentTimeMillis
        let interrupted = false
        const fiber = yield* Effect.fork(DeadlineTimer.raceDeadline(
          timer,
          Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => { interrupted = true }))),
          now + 1000,
          () => "timeout"
        ))
        yield* Effect.yieldNow()
        yield* Fiber.interrupt(fiber)
        yield* Effect.yieldNow()
        expect(interrupted).toBe(true)
        expect(timer.pending()).toBe(0)
      }))
  })
})
