/**
 * A user's program against the installed tarball: every entry point but `./redis` (whose optional
 * peer is not installed yet), a typed request through the governed client to the simulated API, and
 * proof that neither `ioredis` nor the CLI's parser came with the install.
 */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer, Schema } from "effect"
import * as Governor from "effect-governor"
import { SimulatedApi } from "effect-governor/testing"
import { createRequire } from "node:module"

const require = createRequire(import.meta.url)
const manifest = require("effect-governor/package.json") as { readonly name: string; readonly version: string }

const Item = Schema.Struct({ id: Schema.String, name: Schema.String, version: Schema.Number })

const Live = SimulatedApi.layerWith({ rate: 20, burst: 2 }, (api) =>
  Governor.ResilientClient.layer(Governor.ApiConfig.make({ name: "smoke", baseUrl: api.url }))
).pipe(Layer.provide(NodeHttpClient.layerUndici))

const program = Effect.gen(function*() {
  const client = yield* HttpClient.HttpClient
  const items = yield* Effect.forEach(["1", "2", "3", "4", "5"], (id) =>
    client.get(`/items/${id}`).pipe(Effect.flatMap(HttpClientResponse.schemaBodyJson(Item))), { concurrency: 5 })
  const counters = yield* (yield* SimulatedApi.SimulatedApi).counters
  return { ids: items.map((i) => i.id).join(","), counters }
})

const absent = (name: string): boolean => {
  try {
    require.resolve(name)
    return false
  } catch {
    return true
  }
}

const { counters, ids } = await Effect.runPromise(program.pipe(Effect.provide(Live), Effect.scoped))
const checks: ReadonlyArray<readonly [string, boolean]> = [
  [`package.json export: ${manifest.name}@${manifest.version}`, manifest.name === "effect-governor"],
  [`5 typed items through the governed client: ${ids}`, ids === "1,2,3,4,5"],
  [`the simulated API admitted 5 (rejected ${counters.rejected429})`, counters.accepted === 5],
  ["ioredis not installed, root entry loaded without it", absent("ioredis")],
  ["@effect/cli not installed", absent("@effect/cli")]
]
for (const [label, ok] of checks) console.log(`${ok ? "ok    " : "FAILED"} ${label}`)
if (checks.some(([, ok]) => !ok)) process.exit(1)
