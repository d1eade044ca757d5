/**
 * A request picks its entity from the fiber (`withEntity`) and its token from the per-entity provider;
 * a 429 for one customer's token cools that customer's key only. Against the simulated API on loopback.
 */
import { type HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, type Scope } from "effect"
import * as AdaptiveController from "../../src/adaptive/AdaptiveController.js"
import * as CircuitBreaker from "../../src/breaker/CircuitBreaker.js"
import * as Bulkhead from "../../src/bulkhead/Bulkhead.js"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import * as Limit from "../../src/limiter/Limit.js"
import { makeMemory } from "../../src/limiter/memory.js"
import { RateLimiter } from "../../src/limiter/RateLimiter.js"
import { layer as resolverLayer } from "../../src/limits/LimitsResolver.js"
import { LimitsStore } from "../../src/limits/LimitsStore.js"
import { layerMemory as limitsMemory } from "../../src/limits/memoryStore.js"
import * as Tenants from "../../src/Tenants.js"
import { layerMemory, makeClients, TenantLimiter, withEntity } from "../../src/Tenants.js"
import { SimulatedApi } from "../../src/testing/index.js"

const Live = layerMemory({ throttle: false }).pipe(
  Layer.provideMerge(resolverLayer({ ttl: "10 seconds" })),
  Layer.provideMerge(limitsMemory()),
  Layer.provideMerge(NodeHttpClient.layerUndici)
)

describe("tenant clients", () => {
  it.live("each entity's requests carry its own token; a 429 for one customer pauses that customer only", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      let globexRefused = false
      const api = yield* SimulatedApi.make({
        rate: 1000,
        routes: {
          "GET /whoami": (req) => {
            const auth = String(req.headers["authorization"] ?? "")
            seen.push(auth)
            // The vendor's own quota for globex's token runs out once.
            if (auth === "Bearer tok-globex" && !globexRefused) {
              globexRefused = true
              return { status: 429, headers: { "retry-after": "1" }, body: { error: "quota" } }
            }
            return { body: { auth } }
          }
        }
      })
      const store = yield* LimitsStore
      const put = (name: string, parent?: string) =>
        store.put({ kind: "entity", name, settings: { ...(parent === undefined ? {} : { parent }), limits: { "*": [Limit.perSecond("rps", 50)] } } }, {
          source: "test"
        })
      yield* put("app")
      yield* put("acme", "app")
      yield* put("globex", "app")
      const config = ApiConfig.make({
        name: "vendor",
        baseUrl: api.url,
        adaptive: { enabled: true, initialRate: 100, maxRate: 200 },
        retry: { maxRetries: 2 }
      })
      const clients = yield* makeClients({ config, token: (entity) => Effect.succeed(Redacted.make(`tok-${entity}`)) })
      const call = (entity: string) =>
        clients.client.execute(HttpClientRequest.get("/whoami")).pipe(
          Effect.flatMap((r) => r.json),
          // The body says which credential the server saw.
          Effect.map((body) => (body as { auth: string }).auth),
          withEntity(entity)
        )
      expect(yield* call("acme")).toBe("Bearer tok-acme")
      // globex gets a 429 (Retry-After: 1 s): its key cools, the retry goes after the pause.
      const started = Date.now()
      const globex = yield* Effect.fork(call("globex"))
      yield* Effect.sleep("200 millis")
      const tenants = yield* TenantLimiter
      const paused = yield* tenants.forResource("vendor").snapshot("globex")
      expect(paused.cooldownUntil).not.toBeNull()
      // acme is not paused: answered at once.
      const before = Date.now()
      expect(yield* call("acme")).toBe("Bearer tok-acme")
      expect(Date.now() - before).toBeLessThan(500)
      expect((yield* tenants.forResource("vendor").snapshot("acme")).cooldownUntil).toBeNull()
      expect(yield* globex.await.pipe(Effect.flatMap((exit) => exit))).toBe("Bearer tok-globex")
      expect(Date.now() - started).toBeGreaterThanOrEqual(900)
      expect(seen).toEqual(["Bearer tok-acme", "Bearer tok-globex", "Bearer tok-acme", "Bearer tok-globex"])
      // Outside withEntity a request has no credential to pick: a typed error.
      const none = yield* Effect.flip(clients.client.execute(HttpClientRequest.get("/whoami")))
      expect(none._tag).toBe("NoEntity")
    }).pipe(Effect.scoped, Effect.provide(Live)))

  it.live("each entity gets its own breaker, bulkhead and controller, even with one in the environment, unless shared", () =>
    Effect.gen(function*() {
      const config = ApiConfig.make({
        name: "vendor",
        baseUrl: "http://127.0.0.1:1",
        adaptive: { enabled: true },
        bulkhead: { maxConcurrent: 4 }
      })
      const ambient = {
        breaker: yield* CircuitBreaker.make({}),
        bulkhead: yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: 0 }),
        adaptive: yield* AdaptiveController.make({ initialRate: 1 }).pipe(
          Effect.provideServiceEffect(RateLimiter, makeMemory({ limits: [Limit.perSecond("rps", 1)] }))
        )
      }
      const token = (entity: string) => Effect.succeed(Redacted.make(`tok-${entity}`))
      const inherit = (clients: Effect.Effect<Tenants.TenantClients<never>, never, TenantLimiter | HttpClient.HttpClient | Scope.Scope>) =>
        clients.pipe(
          Effect.provideService(CircuitBreaker.CircuitBreaker, ambient.breaker),
          Effect.provideService(Bulkhead.Bulkhead, ambient.bulkhead),
          Effect.provideService(AdaptiveController.AdaptiveController, ambient.adaptive)
        )
      const own = yield* inherit(makeClients({ config, token }))
      const acme = yield* own.get("acme")
      const globex = yield* own.get("globex")
      for (const part of ["breaker", "bulkhead", "adaptive"] as const) {
        expect(acme[part], part).not.toBeNull()
        expect(acme[part], part).not.toBe(ambient[part])
        expect(acme[part], part).not.toBe(globex[part])
      }
      const shared = yield* inherit(makeClients({ config, token, shared: ambient }))
      const a = yield* shared.get("acme")
      const g = yield* shared.get("globex")
      for (const part of ["breaker", "bulkhead", "adaptive"] as const) {
        expect(a[part], part).toBe(ambient[part])
        expect(g[part], part).toBe(ambient[part])
      }
    }).pipe(Effect.scoped, Effect.provide(Live)))
})
