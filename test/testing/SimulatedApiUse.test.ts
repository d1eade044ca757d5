/**
 * The simulated API as a user's spec meets it: refused at once under `TestClock` unless the test moves
 * the clock itself (a client would hang at the first 429), a client pointed at it by `layerWith`, and
 * the user's own routes behind the hidden limit.
 */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Schema } from "effect"
import * as ResilientClient from "../../src/client/ResilientClient.js"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import { SimulatedApi } from "../../src/testing/index.js"

const get = (url: string) =>
  Effect.promise(async () => {
    const res = await fetch(url)
    return { status: res.status, body: await res.text() }
  })

describe("SimulatedApi in a user's spec", () => {
  it.effect("under TestClock (it.effect) it fails at once, naming it.live and virtualTime", () =>
    Effect.gen(function*() {
      const started = yield* Effect.either(SimulatedApi.make({ rate: 1 }))
      expect(Either.isLeft(started)).toBe(true)
      if (Either.isRight(started)) return
      expect(started.left._tag).toBe("SimulatedApiStartError")
      expect(started.left.message).toContain("TestClock")
      expect(started.left.message).toContain("it.live")
      expect(started.left.message).toContain("virtualTime: true")
      // Told that the test drives the clock, it starts.
      const api = yield* SimulatedApi.make({ rate: 1, virtualTime: true })
      expect(api.port).toBeGreaterThan(0)
    }).pipe(Effect.scoped))

  it.live("layerWith points a client at the server's port; the client waits out the 429s", () =>
    Effect.gen(function*() {
      const Item = Schema.Struct({ id: Schema.String, name: Schema.String })
      const client = yield* HttpClient.HttpClient
      const items = yield* Effect.forEach(
        ["1", "2", "3", "4"],
        (id) => client.get(`/items/${id}`).pipe(Effect.flatMap(HttpClientResponse.schemaBodyJson(Item))),
        { concurrency: 4 }
      )
      expect(items.map((i) => i.id)).toEqual(["1", "2", "3", "4"])
      const counters = yield* (yield* SimulatedApi.SimulatedApi).counters
      expect(counters.accepted).toBe(4)
    }).pipe(
      Effect.provide(
        SimulatedApi.layerWith({ rate: 20, burst: 1, retryAfter: "precise" }, (api) =>
          ResilientClient.layer(ApiConfig.make({ name: "user-spec", baseUrl: api.url, adaptive: { enabled: false } })))
          .pipe(Layer.provide(NodeHttpClient.layerUndici))
      )
    ))

  it.live("mounted routes answer behind the hidden limit, win over built-ins and are counted by their key", () =>
    Effect.gen(function*() {
      const api = yield* SimulatedApi.make({
        rate: 0.001,
        burst: 3,
        routes: {
          "GET /users/:id": (req) => ({ body: { id: req.params.id, n: req.requestNumber } }),
          "GET /items/:id": (req) => ({ status: 410, body: { gone: req.params.id }, headers: { "x-mine": "1" } }),
          "POST /boom": () => {
            throw new Error("handler bug")
          }
        }
      })
      expect(yield* get(`${api.url}/users/a%20b`)).toEqual({ status: 200, body: JSON.stringify({ id: "a b", n: 1 }) })
      expect(yield* get(`${api.url}/items/7`)).toEqual({ status: 410, body: JSON.stringify({ gone: "7" }) })
      const boom = yield* Effect.promise(() => fetch(`${api.url}/boom`, { method: "POST" }))
      expect(boom.status).toBe(500)
      expect(yield* Effect.promise(() => boom.text())).toContain("handler bug")
      // The burst of 3 is spent: a mounted route is rejected like any other.
      expect((yield* get(`${api.url}/users/b`)).status).toBe(429)
      const c = yield* api.counters
      expect(c.byPath["GET /users/:id"]).toEqual({ accepted: 1, rejected429: 1, errors5xx: 0, resets: 0 })
      expect(c.byPath["GET /items/:id"]).toEqual({ accepted: 1, rejected429: 0, errors5xx: 0, resets: 0 })
      expect(c.byPath["POST /boom"]).toEqual({ accepted: 0, rejected429: 0, errors5xx: 1, resets: 0 })
    }).pipe(Effect.scoped))

  it.live("a malformed route key fails with a typed error naming it", () =>
    Effect.gen(function*() {
      const bad = yield* Effect.either(Effect.scoped(SimulatedApi.make({ rate: 1, routes: { "users/:id": () => ({}) } })))
      expect(Either.isLeft(bad) && bad.left._tag === "InvalidSimulatedApiOptions" ? bad.left.field : "accepted")
        .toBe(`routes["users/:id"]`)
    }))
})
