/**
 * The adaptive bench's measurement, checked on cells whose answer is known: its arithmetic (pure), and
 * the cell runner driving the oracle against real loopback servers on `TestClock`.
 */
import { describe, expect, it } from "@effect/vitest"
import { NodeHttpClient } from "@effect/platform-node"
import { Duration, Effect, Fiber, Option, TestClock } from "effect"
import fc from "fast-check"
import { runCell } from "../../bench/adaptive/cell.js"
import { type Load, oracle } from "../../bench/adaptive/clients.js"
import * as F from "../../bench/adaptive/families.js"
import { full, quick } from "../../bench/adaptive/matrix.js"
import { allowed, type LimitChange, type Measured, measure, summarize } from "../../bench/adaptive/metrics.js"
import type { Scenario } from "../../bench/adaptive/scenarios.js"
import { resolveOptions } from "../../src/testing/simulatedApiOptions.js"

/** Run `effect` on TestClock in 10 ms steps, giving loopback I/O a few real ms after each step. */
const drive = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    for (;;) {
      const exit = yield* Fiber.poll(fiber)
      if (Option.isSome(exit)) return yield* exit.value
      yield* TestClock.adjust(Duration.millis(10))
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 3)))
    }
  })

const short: Scenario = { name: "t", label: "test", documented: 50, hidden: 50, warmupMs: 1000, durationMs: 4000 }

/** A fixed limiter told twice the true rate: half of what it sends is rejected. */
const twice: Load = (t) => oracle({ ...t, hidden: () => 2 * t.hidden() })

const cell = <K extends string>(scenario: Scenario, loads: Record<K, Load>) =>
  drive(runCell({ family: F.tb100ms, scenario }, loads)).pipe(Effect.provide(NodeHttpClient.layerUndici))

describe("adaptive bench: cell runner", () => {
  it.effect("the oracle against a token bucket of 0.1 s: ~100% of the limit, no rejections", () =>
    Effect.gen(function*() {
      const { oracle: m } = yield* cell(short, { oracle })
      expect(m.goodputPct).toBeGreaterThan(97)
      expect(m.goodputPct).toBeLessThan(101)
      expect(m.r429Pct).toBeLessThanOrEqual(1)
      expect(m.admittedPerS).toBeCloseTo(50, 0)
    }))

  it.effect("a fixed limiter at twice the limit: the same goodput, half of what it sends rejected", () =>
    Effect.gen(function*() {
      const { twice: m } = yield* cell(short, { twice })
      expect(m.goodputPct).toBeGreaterThan(97)
      expect(m.goodputPct).toBeLessThan(101)
      expect(m.r429Pct).toBeGreaterThan(45)
      expect(m.r429Pct).toBeLessThan(55)
    }))

  it.effect("a limit drop: the oracle follows it and goodput is time-weighted (~100%, not 55%)", () =>
    Effect.gen(function*() {
      const { oracle: m } = yield* cell({ ...short, durationMs: 5000, drop: { atMs: 2000, rate: 20 } }, { oracle })
      expect(m.goodputPct).toBeGreaterThan(97)
      expect(m.goodputPct).toBeLessThan(101)
      expect(m.admitted).toBeGreaterThan(0.97 * (50 + 3 * 20))
    }))
})

describe("adaptive bench: the matrix", () => {
  it("every cell's server is valid before and after its scenario's drop; quick is a subset; names are key segments", () => {
    for (const { family, scenario } of full) {
      for (const rate of [scenario.hidden, scenario.drop?.rate ?? scenario.hidden]) {
        expect(resolveOptions(family.server(rate))._tag, `${family.name} at ${rate}`).toBe("Right")
      }
      expect(`${family.name}.${scenario.name}`).toMatch(/^[a-z0-9-]+\.[a-z0-9-]+$/)
    }
    const key = (c: (typeof full)[number]) => `${c.family.name}/${c.scenario.name}`
    expect(new Set(full.map(key)).size).toBe(full.length)
    for (const c of quick) expect(full.map(key)).toContain(key(c))
  })
})

describe("adaptive bench: arithmetic", () => {
  const schedule = (at: number, before: number, after: number): Array<LimitChange> => [
    { at: -Infinity, rate: before },
    { at, rate: after }
  ]

  it("the hidden limit's integral, across a change", () => {
    expect(allowed(schedule(2000, 50, 20), 1000, 5000)).toBeCloseTo(50 + 3 * 20)
    expect(allowed(schedule(9000, 50, 20), 1000, 5000)).toBeCloseTo(4 * 50)
    expect(allowed(schedule(0, 50, 20), 1000, 5000)).toBeCloseTo(4 * 20)
  })

  it("the integral is additive and lies between the two rates' alone", () => {
    const ms = fc.integer({ min: 0, max: 100_000 })
    const rate = fc.double({ min: 0.1, max: 1000, noNaN: true })
    fc.assert(fc.property(ms, ms, ms, ms, rate, rate, (a, b, c, change, r1, r2) => {
      const [from, mid, to] = [a, b, c].sort((x, y) => x - y) as [number, number, number]
      const s = schedule(change, r1, r2)
      const whole = allowed(s, from, to)
      expect(whole).toBeCloseTo(allowed(s, from, mid) + allowed(s, mid, to), 6)
      const seconds = (to - from) / 1000
      expect(whole).toBeGreaterThanOrEqual(Math.min(r1, r2) * seconds - 1e-9)
      expect(whole).toBeLessThanOrEqual(Math.max(r1, r2) * seconds + 1e-9)
    }))
  })

  it("goodput and 429 share from two samples", () => {
    const m = measure({ at: 5000, admitted: 100, rejected: 10, total: 110 }, { at: 15000, admitted: 590, rejected: 20, total: 610 }, schedule(-Infinity, 50, 50))
    expect(m).toMatchObject({ admitted: 490, rejected: 10, sent: 500, admittedPerS: 49 })
    expect(m.goodputPct).toBeCloseTo(98)
    expect(m.r429Pct).toBeCloseTo(2)
  })

  it("the summary: worst cells, and noise against its clean twin in the same scenario only", () => {
    const at = (goodputPct: number, r429Pct: number, admittedPerS: number): Measured =>
      ({ goodputPct, r429Pct, admittedPerS, admitted: 0, rejected: 0, sent: 0 })
    const s = summarize(
      [
        { family: "clean", scenario: "a", ours: at(96, 0.5, 48), oracle: at(100, 0, 50) },
        { family: "noisy", scenario: "a", ours: at(90, 2, 45), oracle: at(99, 0, 49.5) },
        { family: "noisy", scenario: "b", ours: at(10, 0, 5), oracle: at(100, 0, 50) }
      ],
      [{ noisy: "noisy", clean: "clean" }]
    )
    expect(s.minGoodputPct).toBe(10)
    expect(s.minVsOracle).toBeCloseTo(0.1)
    expect(s.maxR429Pct).toBe(2)
    expect(s.noiseVsClean).toBeCloseTo(45 / 48)
  })
})
