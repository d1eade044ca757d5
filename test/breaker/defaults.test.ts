/**
 * The default trip rules (src/breaker/defaults.ts) tell an outage from noise: random failures at a
 * moderate rate never open the circuit, a total outage opens it within `FAILURE_THRESHOLD` calls and a
 * partial one (most calls failing, never 20 in a row) within `WINDOW_SIZE` calls.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import fc from "fast-check"
import { resolveOptions } from "../../src/breaker/CircuitBreaker.js"
import * as Defaults from "../../src/breaker/defaults.js"
import * as Machine from "../../src/breaker/machine.js"
import * as ApiConfig from "../../src/config/ApiConfig.js"

const configOf = (options: Parameters<typeof resolveOptions>[0]): Machine.MachineConfig =>
  Either.getOrThrow(resolveOptions(options)).config

const defaults = configOf({})

/** mulberry32: a small seeded PRNG, so a failing seed replays exactly. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** Feeds `verdicts` to a closed breaker (one call per millisecond); returns the state and the calls made. */
const feed = (
  config: Machine.MachineConfig,
  s0: Machine.MachineState,
  verdicts: Iterable<Machine.Verdict>,
  stopWhenOpen = false
): { readonly state: Machine.MachineState; readonly calls: number } => {
  let s = s0
  let calls = 0
  for (const verdict of verdicts) {
    const now = s.totalSuccesses + s.totalFailures
    const [admitted, admission] = Machine.admit(config, s, now)
    if (admission._tag !== "Admitted") break
    s = Machine.record(config, admitted, now, verdict, admission)[0]
    calls++
    if (stopWhenOpen && s.state === "open") break
  }
  return { state: s, calls }
}

function* randomFailures(seed: number, p: number, n: number): Generator<Machine.Verdict> {
  const random = prng(seed)
  for (let i = 0; i < n; i++) yield random() < p ? "failure" : "success"
}

function* repeat(pattern: ReadonlyArray<Machine.Verdict>, n: number): Generator<Machine.Verdict> {
  for (let i = 0; i < n; i++) yield pattern[i % pattern.length]!
}

/** A history that left the breaker closed (any mix of results, filtered). */
const arbClosedHistory = fc
  .array(fc.constantFrom<Machine.Verdict>("success", "failure", "failure"), { maxLength: 300 })
  .map((verdicts) => feed(defaults, Machine.initial, verdicts).state)
  .filter((s) => s.state === "closed")

describe("breaker defaults", () => {
  it("trip rules are the same from the config and from make", () => {
    const rules = {
      failureThreshold: Defaults.FAILURE_THRESHOLD,
      failureRate: Defaults.FAILURE_RATE,
      windowSize: Defaults.WINDOW_SIZE,
      minimumCalls: Defaults.MINIMUM_CALLS
    }
    expect(defaults).toMatchObject(rules)
    const b = ApiConfig.make({ name: "acme", baseUrl: "https://api.acme.test" }).breaker
    expect(configOf(b)).toMatchObject(rules)
  })

  it("20% random failures over 100,000 calls never open the circuit", () =>
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const { calls, state } = feed(defaults, Machine.initial, randomFailures(seed, 0.2, 100_000))
        expect(calls).toBe(100_000)
        expect(state.trips).toBe(0)
        // The noise was there: about 20,000 failures.
        expect(state.totalFailures).toBeGreaterThan(19_000)
      }),
      { numRuns: 30 }
    ))

  it("a total outage opens the circuit within FAILURE_THRESHOLD calls, whatever came before", () =>
    fc.assert(
      fc.property(arbClosedHistory, (before) => {
        const { calls, state } = feed(defaults, before, repeat(["failure"], 1_000), true)
        expect(state.state).toBe("open")
        expect(calls).toBeLessThanOrEqual(Defaults.FAILURE_THRESHOLD)
      })
    ))

  it("a partial outage (2 calls in 3 failing, never 20 in a row) opens it within WINDOW_SIZE calls", () =>
    fc.assert(
      fc.property(arbClosedHistory, (before) => {
        const { calls, state } = feed(defaults, before, repeat(["failure", "failure", "success"], 1_000), true)
        expect(state.state).toBe("open")
        expect(calls).toBeLessThanOrEqual(Defaults.WINDOW_SIZE)
      })
    ))

  it("one rule given: only that one applies", () => {
    expect(configOf({ failureThreshold: 5 })).toMatchObject({ failureThreshold: 5, failureRate: undefined })
    expect(configOf({ failureRate: 0.3 })).toMatchObject({ failureThreshold: undefined, failureRate: 0.3 })
    expect(configOf({ windowSize: 20 }).minimumCalls).toBe(20)
  })
})
