/**
 * The breaker's Lua script against the pure machine: the same call sequences, on the same clock
 * (the script's test-only `now` argument), must give the same answers, states and transitions.
 */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { Redis as IORedis } from "ioredis"
import { afterAll, beforeAll } from "vitest"
import * as Machine from "../../src/breaker/machine.js"
import { type BreakerOp, breakerScript, callArgs, decodeReply, settingsArgs } from "../../src/redis/breakerScript.js"
import { keyFor } from "../../src/redis/Redis.js"
import { skipRedis } from "./server.js"
import { keySlot, uniquePrefix, useRedisServer } from "./util.js"

const LONG_LEASE = 1_000_000_000
const TTL = 86_400_000

type Command =
  | { readonly _tag: "admit" }
  | { readonly _tag: "record"; readonly verdict: Machine.Verdict; readonly pick: number | null }
  | { readonly _tag: "advance"; readonly ms: number }
  | { readonly _tag: "force"; readonly to: "closed" | "open" }
  | { readonly _tag: "state" }

const configArb: fc.Arbitrary<Machine.MachineConfig> = fc
  .record({
    failureThreshold: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
    failureRate: fc.option(fc.oneof(fc.constantFrom(0.25, 0.5, 1), fc.double({ min: 0.01, max: 1, noNaN: true })), { nil: undefined }),
    windowSize: fc.integer({ min: 1, max: 8 }),
    minimumFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    successThreshold: fc.integer({ min: 1, max: 3 }),
    recoveryTimeoutMs: fc.integer({ min: 0, max: 20 }),
    halfOpenMaxProbes: fc.integer({ min: 1, max: 3 })
  })
  .map(({ minimumFraction, ...c }) => ({ ...c, minimumCalls: Math.max(1, Math.ceil(c.windowSize * minimumFraction)) }))

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ _tag: "admit" as const }) },
  {
    weight: 6,
    arbitrary: fc.record({
      _tag: fc.constant("record" as const),
      verdict: fc.constantFrom<Machine.Verdict>("success", "success", "failure", "failure", "ignore"),
      pick: fc.option(fc.nat(), { nil: null, freq: 4 })
    })
  },
  { weight: 3, arbitrary: fc.record({ _tag: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 15 }) }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("force" as const), to: fc.constantFrom<"closed" | "open">("closed", "open") }) },
  { weight: 1, arbitrary: fc.constant({ _tag: "state" as const }) }
)

describe.skipIf(skipRedis)("the breaker script against the pure machine", () => {
  const server = useRedisServer()
  let client: IORedis
  beforeAll(() => {
    client = new IORedis(server.url, { maxRetriesPerRequest: 1 })
  })
  afterAll(async () => {
    await client?.quit().catch(() => undefined)
  })

  const call = async (keys: ReadonlyArray<string>, settings: ReadonlyArray<string>, op: BreakerOp, now: number, extra: ReadonlyArray<string>) =>
    decodeReply(op, await client.eval(breakerScript.lua, 2, ...keys, ...callArgs(op, settings, extra, now)))

  it("gives the same answers, states and transitions on generated call sequences", async () => {
    const prefix = uniquePrefix("diff")
    let run = 0
    await fc.assert(
      fc.asyncProperty(configArb, fc.array(commandArb, { minLength: 1, maxLength: 150, size: "max" }), fc.integer({ min: 0, max: 1e6 }), async (config, commands, start) => {
        const name = `b${run++}`
        const keys = [keyFor(prefix, name, ["breaker"]), keyFor(prefix, name, ["breaker", "probes"])]
        const settings = settingsArgs(config, LONG_LEASE, TTL)
        let now = 1_700_000_000_000 + start
        let machine = Machine.initial
        // Admitted calls not reported yet: the machine's ticket and the script's probe id.
        const outstanding: Array<{ readonly ticket: Machine.Ticket; readonly id: string }> = []
        let seq = 0
        for (const command of commands) {
          let expected: readonly [Machine.MachineState, unknown, ReadonlyArray<Machine.Transition>]
          let reply: ReturnType<typeof decodeReply>
          switch (command._tag) {
            case "advance":
              now += command.ms
              continue
            case "admit": {
              const id = `p${seq++}`
              expected = Machine.admit(config, machine, now)
              reply = await call(keys, settings, "admit", now, [id])
              expect(reply.admission).toEqual(expected[1])
              const a = expected[1] as Machine.Admission
              if (a._tag === "Admitted") outstanding.push({ ticket: { generation: a.generation, probe: a.probe }, id })
              break
            }
            case "record": {
              const taken = command.pick === null || outstanding.length === 0
                ? undefined
                : outstanding.splice(command.pick % outstanding.length, 1)[0]!
              expected = Machine.record(config, machine, now, command.verdict, taken?.ticket)
              reply = await call(keys, settings, "record", now, [
                command.verdict,
                taken === undefined ? "" : String(taken.ticket.generation),
                taken?.ticket.probe === true ? taken.id : ""
              ])
              break
            }
            case "force":
              expected = Machine.force(config, machine, now, command.to)
              reply = await call(keys, settings, "force", now, [command.to])
              break
            case "state":
              expected = Machine.tick(machine, now)
              reply = await call(keys, settings, "state", now, [])
              break
          }
          machine = expected[0]
          expect(reply.now).toBe(now)
          expect(reply.state).toEqual(machine)
          expect(reply.transitions).toEqual(expected[2])
        }
      }),
      { numRuns: 200, seed: 15 }
    )
  })

  it("frees the slot of a probe that never reports once its lease ends", async () => {
    const keys = [keyFor(uniquePrefix("lease"), "api", ["breaker"]), keyFor(uniquePrefix("lease"), "api", ["breaker", "probes"])]
    const config: Machine.MachineConfig = {
      failureThreshold: 1,
      failureRate: undefined,
      windowSize: 10,
      minimumCalls: 10,
      successThreshold: 1,
      recoveryTimeoutMs: 100,
      halfOpenMaxProbes: 1
    }
    const settings = settingsArgs(config, 500, TTL)
    const t0 = 1_700_000_000_000
    await call(keys, settings, "record", t0, ["failure", "", ""])
    const first = await call(keys, settings, "admit", t0 + 100, ["dead-process-probe"])
    expect(first.admission).toMatchObject({ _tag: "Admitted", probe: true })
    // Its process died: no result ever comes. The slot stays taken for the lease...
    const during = await call(keys, settings, "admit", t0 + 599, ["p2"])
    expect(during.admission).toMatchObject({ _tag: "Rejected", state: "half-open" })
    // ...and is free once it has run out.
    const after = await call(keys, settings, "admit", t0 + 600, ["p3"])
    expect(after.admission).toMatchObject({ _tag: "Admitted", probe: true })
    expect(after.state.probesInFlight).toBe(1)
    // A late result of the dead probe still counts (same generation) without freeing p3's slot.
    const late = await call(keys, settings, "record", t0 + 601, ["success", String(first.state.generation), "dead-process-probe"])
    expect(late.state.state).toBe("closed")
  })

  it("keeps every key of a breaker in one cluster slot, with a TTL", async () => {
    const prefix = uniquePrefix("slot")
    const keys = [keyFor(prefix, "api{x}", ["breaker"]), keyFor(prefix, "api{x}", ["breaker", "probes"])]
    expect(keySlot(keys[0]!)).toBe(keySlot(keys[1]!))
    const config: Machine.MachineConfig = {
      failureThreshold: 1,
      failureRate: undefined,
      windowSize: 1,
      minimumCalls: 1,
      successThreshold: 1,
      recoveryTimeoutMs: 0,
      halfOpenMaxProbes: 1
    }
    const settings = settingsArgs(config, 5_000, 60_000)
    await call(keys, settings, "record", Date.now(), ["failure", "", ""])
    await call(keys, settings, "admit", Date.now(), ["p"])
    expect(await client.exists(keys[0]!, keys[1]!)).toBe(2)
    for (const key of keys) {
      const ttl = await client.pttl(key)
      expect(ttl).toBeGreaterThan(50_000)
      expect(ttl).toBeLessThanOrEqual(60_000)
    }
  })
})
