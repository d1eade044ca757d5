import { HttpClient, HttpClientResponse } from "@effect/platform"
import { Effect, Layer, Logger, LogLevel } from "effect"
import * as ResilientClient from "/work/main/src/client/ResilientClient.js"
import * as ApiConfig from "/work/main/src/config/ApiConfig.js"
const extra = JSON.parse(process.argv[2] ?? "{}")
const instant = HttpClient.make((request) => Effect.succeed(HttpClientResponse.fromWeb(request, new Response("{}", { status: 200 }))))
const cfg = await Effect.runPromise(ApiConfig.decode({ name: "b", baseUrl: "http://127.0.0.1:1", limits: [{ name: "rps", limit: 1e9, per: "second" }], throttle: false, ...extra }))
const N = 5000
const run = Effect.gen(function*() {
  const g = yield* ResilientClient.make(cfg)
  const loop = (c: HttpClient.HttpClient.With<unknown>) => Effect.suspend(() => { let i = 0; return Effect.whileLoop({ while: () => i++ < N, body: () => c.get("/x"), step: () => {} }) })
  const b = instant.pipe(HttpClient.mapRequest((r) => ({ ...r, url: "http://127.0.0.1:1" + r.url }) as typeof r))
  let bare = Infinity, ours = Infinity
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) }
  for (let r = 0; r < 6; r++) {
    let t = cpu(); yield* loop(b); bare = Math.min(bare, (cpu() - t) / N)
    t = cpu(); yield* loop(g.client); ours = Math.min(ours, (cpu() - t) / N)
  }
  console.log(`bare ${bare.toFixed(1)}µs ours ${ours.toFixed(1)}µs overhead ${(ours - bare).toFixed(1)}µs`)
}).pipe(Effect.scoped, Effect.provide(Layer.succeed(HttpClient.HttpClient, instant)), Logger.withMinimumLogLevel(LogLevel.Warning))
await Effect.runPromise(run)
