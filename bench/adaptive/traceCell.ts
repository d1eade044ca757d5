/**
 * Debugging aid (not part of the bench): one family × scenario against the composed client, printing
 * every controller decision (`npx tsx bench/adaptive/traceCell.ts tb-100ms overstate-2x`).
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Logger, LogLevel } from "effect"
import * as Adaptive from "../../src/adaptive/AdaptiveController.js"
import * as ResilientClient from "../../src/client/ResilientClient.js"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import * as SimulatedApi from "../../src/testing/SimulatedApi.js"
import * as F from "./families.js"
import * as S from "./scenarios.js"
import { printGoodput } from "./traceGoodput.js"

const family = Object.values(F).find((f): f is F.Family => typeof f === "object" && "name" in f && f.name === process.argv[2])!
const scenario = S.all.find((s) => s.name === process.argv[3])!
// Optional 3rd argument `<everyMs>:<maxMs>`: the event loop blocked every `everyMs` for up to `maxMs`
// (uniform), as the full bench's six cells side by side block it (lag p99 ~40 ms).
const block = process.argv[4]?.split(":").map(Number)
if (block !== undefined) {
  setInterval(() => {
    const until = performance.now() + Math.random() * block[1]!
    while (performance.now() < until) { /* busy */ }
  }, block[0]!)
}
const program = Effect.gen(function*() {
  const api = yield* Effect.orDie(SimulatedApi.make(family.server(scenario.hidden)))
  const inner = yield* Adaptive.makeMemoryStore
  const t0 = Date.now()
  // Pauses the gates set (stall gate, window gate, counter): how many, how long in all.
  const gates = { n: 0, ms: 0, stall: 0 }
  let lastKey = ""
  const store: Adaptive.ControllerStore = {
    ...inner,
    modify: (key, f) =>
      inner.modify(lastKey = key, (prev) => {
        const [a, next] = f(prev)
        const now = Date.now()
        const g0 = Math.max(now, prev?.gateUntil ?? 0)
        if ((next.gateUntil ?? 0) > g0) {
          gates.n++, gates.ms += next.gateUntil! - g0
          // The stall gate's (`stallGate.ts`): it set `heldAt` now.
          if (next.heldAt !== prev?.heldAt) gates.stall++
        }
        if (prev === undefined || next.decreases !== prev.decreases || next.phase !== prev.phase || Math.abs(next.rate - prev.rate) > prev.rate * 0.05) {
          console.log(`${Date.now() - t0} ${prev?.phase}->${next.phase} ${prev?.rate.toFixed(1)}->${next.rate.toFixed(1)} ceil ${next.ceiling?.toFixed(1)} high ${next.ceilingHigh?.toFixed(1)} prior ${next.priorValid} cd ${Math.max(0, next.cooldownUntil - Date.now())}`)
        }
        return [a, next]
      })
  }
  const config = yield* Effect.orDie(ApiConfig.decode({ name: "t", baseUrl: api.url, adaptive: { enabled: true, initialRate: scenario.documented } }))
  const { client } = yield* Effect.orDie(ResilientClient.make(config, { adaptiveStore: store }))
  const one = client.get("/items/1").pipe(Effect.flatMap((r) => r.text), Effect.ignore)
  yield* Effect.fork(Effect.all(Array.from({ length: family.fibers }, () => Effect.forever(one)), { concurrency: "unbounded" }))
  // Every second: admitted by the server, rejected, the gates' pauses, the pace, the round trip.
  let last = yield* api.counters
  const perSecond = Effect.gen(function*() {
    yield* Effect.sleep("1 second")
    const c = yield* api.counters
    const s = yield* inner.get(lastKey).pipe(Effect.orElseSucceed(() => undefined))
    console.log(`  ${Date.now() - t0} admitted ${c.accepted + c.errors5xx - last.accepted - last.errors5xx} rejected ${c.rejected429 - last.rejected429} gates ${gates.n}/${gates.ms.toFixed(0)}ms (stall ${gates.stall}) rate ${s?.rate.toFixed(1)} rtt ${s?.rttMs?.toFixed(1)}`)
    gates.n = 0, gates.ms = 0, gates.stall = 0, last = c
  })
  yield* Effect.fork(Effect.forever(perSecond))
  yield* printGoodput(api, scenario)
})
Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici), Effect.provide(Logger.minimumLogLevel(LogLevel.Error)))).then(() => process.exit(0))
