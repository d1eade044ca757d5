/**
 * Many tenants calling one vendor API: the vendor's app-wide quota > each customer's plan > each user,
 * every user with an OAuth token of their own.
 *
 * - The limits are data (the same document `effect-governor limits apply` takes): our share of the
 *   vendor's quota on the `app` entity, a plan per customer (a resource default for the others), a
 *   limit per user. Each request is admitted at once at the user, its customer and the app.
 * - `Tenants.makeClients` gives every user a governed client with its own token; `withEntity` picks
 *   whose a request is. The vendor answers globex-cy's token a 429 once (its own quota): that pauses
 *   globex-cy only, everybody else goes on.
 * - Afterwards: a refusal naming the level that blocked, capacity per level, usage per entity.
 *
 *   npx tsx examples/multi-tenant.ts
 *
 * Against the simulated API only (it stands for the vendor: 12 requests/s in all). On Redis, swap the
 * memory layers for `layerLimitsStore()` and `layerTenantLimiter()` from `effect-governor/redis`.
 * `EXAMPLE_FAST=1` sends fewer requests.
 */
import { HttpClientRequest } from "@effect/platform"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Redacted } from "effect"
import { ApiConfig, Limits, Tenants } from "../src/index.js"
import { SimulatedApi } from "../src/testing/index.js"
import { exampleLogger, fastMode, since } from "./sdk/target.js"

const limitsFile = {
  resources: { vendor: [{ name: "rps", limit: 4, per: "second" }] }, // the default customer plan
  entities: {
    app: { limits: { vendor: [{ name: "rps", limit: 10, per: "second" }] } }, // our share of the vendor's 12/s
    acme: { parent: "app", limits: { vendor: [{ name: "rps", limit: 6, per: "second" }] } }, // a bigger plan
    globex: { parent: "app" },
    "acme-ann": { parent: "acme", limits: { "*": [{ name: "rps", limit: 4, per: "second" }] } },
    "acme-bob": { parent: "acme", limits: { "*": [{ name: "rps", limit: 4, per: "second" }] } },
    "acme-eve": { parent: "acme", limits: { "*": [{ name: "rps", limit: 10, per: "second" }] } },
    "globex-cy": { parent: "globex", limits: { "*": [{ name: "rps", limit: 4, per: "second" }] } }
  }
}
const USERS = ["acme-ann", "acme-bob", "globex-cy"] as const

const program = Effect.gen(function*() {
  const fast = yield* fastMode
  const start = Date.now()
  // What the vendor answered whom, and when.
  const answers: Array<{ readonly at: number; readonly caller: string; readonly status: number }> = []
  const vendor = yield* SimulatedApi.make({
    rate: 12,
    burst: 12,
    routes: {
      "GET /records": (req) => {
        const caller = String(req.headers["authorization"] ?? "").replace("Bearer tok-", "")
        // globex-cy's own quota at the vendor runs out once.
        const status = caller === "globex-cy" && !answers.some((a) => a.status === 429) ? 429 : 200
        answers.push({ at: Date.now() - start, caller, status })
        return status === 429
          ? { status, headers: { "retry-after": "1" }, body: { error: "this token's quota is used up" } }
          : { body: { caller } }
      }
    }
  })
  yield* Limits.apply(Limits.LimitsFile.entries(yield* Limits.LimitsFile.decode(limitsFile, "limits")), { source: "example" })

  // The adaptive controller turns a 429 into a cooldown of the client's key: here, one user's.
  const config = ApiConfig.make({
    name: "vendor",
    baseUrl: vendor.url,
    adaptive: { enabled: true, initialRate: 50, maxRate: 100 },
    retry: { maxRetries: 3 }
  })
  // Your token store: one OAuth token per user (a dummy one for the simulation).
  const clients = yield* Tenants.makeClients({ config, token: (user) => Effect.succeed(Redacted.make(`tok-${user}`)) })

  const perUser = fast ? 8 : 20
  const fetchRecords = (user: string, i: number) =>
    clients.client.execute(HttpClientRequest.get("/records")).pipe(
      Effect.flatMap((r) => r.json),
      Effect.tap((body) => {
        const caller = (body as { caller: string }).caller
        if (i === perUser - 1) console.log(`${since(start)}  ${user} done: ${perUser} requests, the last one answered for "${caller}"`)
      }),
      Tenants.withEntity(user)
    )
  yield* Effect.forEach(USERS, (user) => Effect.forEach(Array.from({ length: perUser }, (_, i) => i), (i) => fetchRecords(user, i)), {
    concurrency: "unbounded",
    discard: true
  })

  const refused = answers.find((a) => a.status === 429)!
  const resumed = answers.find((a) => a.caller === "globex-cy" && a.at > refused.at)!
  const meanwhile = answers.filter((a) => a.caller.startsWith("acme") && a.at > refused.at && a.at < resumed.at).length
  console.log(
    `globex-cy's token got a 429 at ${refused.at} ms (Retry-After: 1 s); globex-cy resumed at ${resumed.at} ms; ` +
      `meanwhile acme's users got ${meanwhile} answers`
  )

  const tenants = yield* Tenants.TenantLimiter
  // acme-eve may send 10 at once, but acme's plan holds at most 6: the customer level refuses first.
  const admitted = yield* Effect.forEach([1, 2, 3, 4, 5, 6, 7], () => tenants.acquire({ entity: "acme-eve", resource: "vendor", maxWait: 0 })).pipe(
    Effect.map(() => 7),
    Effect.catchTag("RateLimitExceeded", (e) => Effect.as(Effect.sync(() => console.log(`refused: ${e.message}`)), -1))
  )
  if (admitted === 7) console.log("acme-eve: all 7 admitted")
  const capacity = yield* tenants.capacity("globex-cy", "vendor")
  for (const level of capacity.levels) {
    const l = level.limits[0]!
    console.log(`capacity ${level.entity.padEnd(9)} (${level.source.padEnd(13)}) ${l.tokens.toFixed(1)}/${l.capacity} ${l.name}, full in ${Math.max(0, l.fullAt - capacity.at)} ms`)
  }
  for (const entity of ["app", "acme", "globex", ...USERS, "acme-eve"]) {
    const usage = yield* tenants.usage(entity, "1 hour")
    console.log(`usage ${entity}: ${usage.rows.reduce((n, r) => n + r.amount, 0)} admitted`)
  }
  console.log(`the vendor answered ${answers.length} requests, ${answers.filter((a) => a.status === 429).length} with 429`)
}).pipe(Effect.scoped)

const Live = Tenants.layerMemory({ throttle: false }).pipe(
  Layer.provideMerge(Limits.LimitsResolver.layer({ ttl: "10 seconds" })),
  Layer.provideMerge(Limits.layerMemory()),
  Layer.provideMerge(NodeHttpClient.layerUndici)
)

NodeRuntime.runMain(program.pipe(Effect.provide(Live), Effect.provide(exampleLogger)))
