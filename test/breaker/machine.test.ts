import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Machine from "../../src/breaker/machine.js"

type Command =
  | { readonly _tag: "Admit" }
  | { readonly _tag: "Finish"; readonly index: number; readonly verdict: Machine.Verdict }
  | { readonly _tag: "External"; readonly verdict: Machine.Verdict }
  | { readonly _tag: "Advance"; readonly ms: number }

const arbVerdict = fc.constantFrom<Machine.Verdict>("success", "failure", "ignore")
const arbCommand: fc.Arbitrary<Command> = fc.oneof(
  fc.constant({ _tag: "Admit" as const }),
  fc.record({ _tag: fc.constant("Finish" as const), index: fc.nat(), verdict: arbVerdict }),
  fc.record({ _tag: fc.constant("External" as const), verdict: arbVerdict }),
  fc.record({ _tag: fc.constant("Advance" as const), ms: fc.integer({ min: 0, max: 2_000 }) })
)
const arbConfig: fc.Arbitrary<Machine.MachineConfig> = fc
  .record({
    failureThreshold: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
    failureRate: fc.option(fc.double({ min: 0.05, max: 1, noNaN: true }), { nil: undefined }),
    windowSize: fc.integer({ min: 1, max: 10 }),
    minimumFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    successThreshold: fc.integer({ min: 1, max: 3 }),
    recoveryTimeoutMs: fc.integer({ min: 0, max: 1_500 }),
    halfOpenMaxProbes: fc.integer({ min: 1, max: 3 })
  })
  .map(({ minimumFraction, ...c }) => ({
    ...c,
    minimumCalls: Math.max(1, Math.round(minimumFraction * c.windowSize))
  }))

const edges = new Set(["closed>open", "open>half-open", "half-open>open", "half-open>closed", "open>closed"])

describe("breaker state machine", () => {
  it("keeps its invariants under any sequence of calls, results and time", () =>
    fc.assert(
      fc.property(arbConfig, fc.array(arbCommand, { maxLength: 200 }), (config, commands) => {
        let s = Machine.initial
        let now = 0
        let opens = 0
        const pending: Array<Machine.Ticket> = []
        const apply = (step: readonly [Machine.MachineState, unknown, ReadonlyArray<Machine.Transition>]) => {
          let from = s.state
          for (const t of step[2]) {
            expect(t.from).toBe(from)
            expect(edges.has(`${t.from}>${t.to}`)).toBe(true)
            if (t.reason === "RecoveryTimeout") expect(t.at).toBeLessThanOrEqual(now)
            else expect(t.at).toBe(now)
            if (t.to === "open") opens++
            from = t.to
          }
          expect(step[0].state).toBe(from)
          s = step[0]
        }
        for (const c of commands) {
          switch (c._tag) {
            case "Admit": {
              const before = s
              const step = Machine.admit(config, s, now)
              apply(step)
              const a = step[1]
              if (a._tag === "Admitted") {
                pending.push({ generation: a.generation, probe: a.probe })
                expect(a.probe).toBe(s.state === "half-open")
              } else {
                expect(s.state).not.toBe("closed")
                expect(s.rejected).toBe(before.rejected + 1)
                if (a.state === "open") expect(a.halfOpenAt).toBeGreaterThan(now)
              }
              break
            }
            case "Finish": {
              if (pending.length === 0) break
              const [ticket] = pending.splice(c.index % pending.length, 1)
              apply(Machine.record(config, s, now, c.verdict, ticket))
              break
            }
            case "External":
              apply(Machine.record(config, s, now, c.verdict))
              break
            case "Advance":
              now += c.ms
              break
          }
          expect(s.probesInFlight).toBeGreaterThanOrEqual(0)
          expect(s.probesInFlight).toBeLessThanOrEqual(config.halfOpenMaxProbes)
          if (s.state !== "half-open") expect(s.probesInFlight).toBe(0)
          expect(s.window.length).toBeLessThanOrEqual(config.windowSize)
          expect(s.window).toMatch(/^[01]*$/)
          expect(s.windowFailures).toBe([...s.window].filter((c) => c === "1").length)
          expect(s.trips).toBe(opens)
          if (s.state === "open") expect(s.halfOpenAt).toBe((s.openedAt ?? NaN) + config.recoveryTimeoutMs)
          if (s.state === "closed" && config.failureThreshold !== undefined) {
            expect(s.consecutiveFailures).toBeLessThan(config.failureThreshold)
          }
          if (s.state === "closed" && config.failureRate !== undefined && s.window.length >= config.minimumCalls) {
            // the last recorded call was judged; a closed breaker is below the rate or the last call succeeded
            const rate = Machine.windowFailures(s) / s.window.length
            expect(rate < config.failureRate || s.window[s.window.length - 1] === "0").toBe(true)
          }
        }
      })
    ))

  it("without failures never trips", () =>
    fc.assert(
      fc.property(arbConfig, fc.integer({ min: 0, max: 300 }), (config, n) => {
        let s = Machine.initial
        for (let i = 0; i < n; i++) {
          const [s1, a] = Machine.admit(config, s, i)
          expect(a._tag).toBe("Admitted")
          s = Machine.record(config, s1, i, "success", a._tag === "Admitted" ? a : undefined)[0]
        }
        expect(s.state).toBe("closed")
        expect(s.trips).toBe(0)
      })
    ))
})
