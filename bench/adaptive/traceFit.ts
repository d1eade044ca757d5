/**
 * Debugging aid (not part of the bench): `traceCell.ts` with what the bucket fit is given at each wall
 * beside what was sent: the cycles, the pace log, the sends per 250 ms by answer (200/429/5xx) as the
 * transport saw them, and each closed cycle's sends against what its log says (`share`).
 * `npx tsx bench/adaptive/traceFit.ts tb-500ms overstate-2x [untilMs]`; `NORETRY=1` turns retries off.
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer, Logger, LogLevel } from "effect"
import * as Adaptive from "../../src/adaptive/AdaptiveController.js"
import * as ResilientClient from "../../src/client/ResilientClient.js"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import * as SimulatedApi from "../../src/testing/SimulatedApi.js"
import * as F from "./families.js"
import * as S from "./scenarios.js"
import { printGoodput } from "./traceGoodput.js"

const family = Object.values(F).find((f): f is F.Family => typeof f === "object" && "name" in f && f.name === process.argv[2])!
const scenario = S.all.find((s) => s.name === process.argv[3])!
const untilMs = Number(process.argv[4] ?? 12000)
let t0 = Date.now()
const sends: Array<[number, number]> = [] // [sentAt, status]
const program = Effect.gen(function*() {
  const api = yield* Effect.orDie(SimulatedApi.make(family.server(scenario.hidden)))
  const inner = yield* Adaptive.makeMemoryStore
  t0 = Date.now()
  const r = (x: number) => Math.round(x - t0)
  const store: Adaptive.ControllerStore = {
    ...inner,
    modify: (key, f) =>
      inner.modify(key, (prev) => {
        const [a, next] = f(prev)
        if (Date.now() - t0 < untilMs && (prev === undefined || next.decreases !== prev.decreases || next.phase !== prev.phase || Math.abs(next.rate - prev.rate) > prev.rate * 0.05)) {
          console.log(`${Date.now() - t0} ${prev?.phase}->${next.phase} ${prev?.rate.toFixed(1)}->${next.rate.toFixed(1)} ceil ${next.ceiling?.toFixed(1)} high ${next.ceilingHigh?.toFixed(1)} prior ${next.priorValid} cycles ${JSON.stringify(next.cycles.map((c) => [c.start, r(c.from), r(c.resumeAt), r(c.wallAt), c.accepted]))}`)
          if (next.cycles.length !== (prev?.cycles.length ?? 0) || next.decreases !== prev?.decreases) {
            console.log(`   paceLog ${JSON.stringify(next.paceLog.map(([x, p]) => [r(x), +p.toFixed(1)]))}`)
            // sends per 250 ms since the start, by status
            const counts: Record<number, [number, number, number]> = {}
            for (const [at, st] of sends) { const b = Math.floor((at - t0) / 250); counts[b] ??= [0, 0, 0]; counts[b]![st === 200 ? 0 : st === 429 ? 1 : 2]++ }
            console.log(`   sends/250ms ${Object.entries(counts).map(([b, c]) => `${Number(b) * 250}:${c.join("/")}`).join(" ")}`)
            const last = next.cycles[next.cycles.length - 1]
            if (last !== undefined) {
              const n = sends.filter(([at]) => at >= last.resumeAt && at < last.wallAt).length
              const said = next.paceLog.reduce((acc, [at, p], i) => { const e = Math.min(last.wallAt, next.paceLog[i + 1]?.[0] ?? Infinity); const b = Math.max(last.resumeAt, at); return acc + (e > b ? p * (e - b) / 1000 : 0) }, 0)
              console.log(`   CYCLE ${last.start} ${r(last.resumeAt)}-${r(last.wallAt)} sent ${n} said ${said.toFixed(1)} share ${(n / said).toFixed(3)} accepted ${last.accepted} -> rate ${next.rate.toFixed(1)} ceil ${next.ceiling?.toFixed(1)}`)
            }
          }
        }
        return [a, next]
      })
  }
  const config = yield* Effect.orDie(ApiConfig.decode({ name: "t", baseUrl: api.url, adaptive: { enabled: true, initialRate: scenario.documented }, ...(process.env.NORETRY ? { retry: { maxRetries: 0 } } : {}) }))
  const { client } = yield* Effect.orDie(ResilientClient.make(config, { adaptiveStore: store }))
  const one = client.get("/items/1").pipe(Effect.flatMap((r) => r.text), Effect.ignore)
  yield* Effect.fork(Effect.all(Array.from({ length: family.fibers }, () => Effect.forever(one)), { concurrency: "unbounded" }))
  yield* printGoodput(api, scenario)
  console.log(`first sends ${sends.slice(0, 15).map(([a, s]) => `${a - t0}:${s}`).join(" ")}`)
})
const recording = Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, (c) =>
  HttpClient.make((req: HttpClientRequest.HttpClientRequest) => {
    const at = Date.now()
    return c.execute(req).pipe(Effect.tap((res) => Effect.sync(() => { sends.push([at, res.status]) })))
  }))).pipe(Layer.provide(NodeHttpClient.layerUndici))
Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(recording), Effect.provide(Logger.minimumLogLevel(LogLevel.Error)))).then(() => process.exit(0))
