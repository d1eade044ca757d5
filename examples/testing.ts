/**
 * Testing your own code with effect-governor's test layers. The code under test is a user's `syncAll`
 * (`examples/sdk/sync.ts`) that must never outrun a partner API allowing 3 requests/s (bursts of 3).
 *
 * 1. Rate logic, deterministically: the memory `RateLimiter` reads time from `Clock`, so under
 *    `TestClock` a 10-record sync takes 3 *virtual* seconds and no real time. Fork the sync, move the
 *    clock, look at what happened when.
 * 2. HTTP behaviour, for real: the `SimulatedApi` layer serves a rate-limited API on 127.0.0.1 with
 *    the partner's hidden limit; the sync runs over real sockets and the API's counters say whether it
 *    ever got a 429. A limiter that is too generous is caught the same way.
 *
 * This file runs both as a program (`npx tsx examples/testing.ts`, exit code 1 if a check fails);
 * `test/examples/testing.test.ts` is the same as a vitest spec with `@effect/vitest` (`it.effect` +
 * `TestClock`, `it.live` + `SimulatedApi.layerWith`), which is how you would write it in your repository.
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Clock, Effect, Either, Fiber, Layer, Ref, TestClock, TestContext } from "effect"
import { Limit, RateLimiter } from "../src/index.js"
import { SimulatedApi } from "../src/testing/index.js"
import { LIMITER_BURST, PARTNER_BURST, PARTNER_RATE, PartnerRecord, partnerLimiter, Records, RecordsHttp, syncAll } from "./sdk/sync.js"
import { exampleLogger } from "./sdk/target.js"

const ids = Array.from({ length: 10 }, (_, i) => String(i + 1))

const failures: Array<string> = []
const check = (label: string, ok: boolean) =>
  Effect.sync(() => {
    console.log(`  ${ok ? "ok    " : "FAILED"} ${label}`)
    if (!ok) failures.push(label)
  })

/** A `Records` test double that notes the (virtual) time of every fetch. */
const recordingRecords = (seen: Ref.Ref<ReadonlyArray<number>>) =>
  Layer.succeed(Records, {
    fetch: (id) =>
      Clock.currentTimeMillis.pipe(
        Effect.tap((now) => Ref.update(seen, (s) => [...s, now])),
        Effect.as(new PartnerRecord({ id, name: `record-${id}`, version: 1 }))
      )
  })

// 1. Rate logic under TestClock ---------------------------------------------------------------------

const underTestClock = Effect.gen(function*() {
  console.log("1. syncAll under TestClock (virtual time)")
  const seen = yield* Ref.make<ReadonlyArray<number>>([])
  const fiber = yield* syncAll(ids).pipe(Effect.provide(Layer.merge(recordingRecords(seen), partnerLimiter)), Effect.fork)
  const progress: Array<string> = []
  for (let second = 0; second <= 3; second++) {
    // Each step: let due sleepers run, then note how many fetches happened by this virtual instant.
    yield* TestClock.adjust(second === 0 ? 0 : 1000)
    progress.push(`t=${second}s: ${(yield* Ref.get(seen)).length}`)
  }
  const records = yield* Fiber.join(fiber)
  const times = yield* Ref.get(seen)
  console.log(`  fetch times (virtual ms): ${times.map((t) => Math.round(t)).join(", ")}`)
  console.log(`  ${progress.join(", ")}`)
  yield* check(`all ${ids.length} records synced`, records.length === ids.length)
  yield* check(`the first ${LIMITER_BURST} go out at once (the burst)`, times.slice(0, LIMITER_BURST).every((t) => t === 0))
  const gaps = times.slice(LIMITER_BURST).map((t, i) => t - times[i + LIMITER_BURST - 1]!)
  yield* check(`then one every ${Math.round(1000 / PARTNER_RATE)} ms or more`, gaps.every((g) => g >= 1000 / PARTNER_RATE - 1))
  yield* check(
    `never more than the partner allows: ${PARTNER_BURST} + ${PARTNER_RATE}/s x elapsed`,
    times.every((t, i) => i + 1 <= PARTNER_BURST + Math.floor((t / 1000) * PARTNER_RATE + 1e-9))
  )
}).pipe(
  Effect.provide(TestContext.TestContext),
  // Run it in a fiber of its own: a TestClock provided with `Effect.provide` stays the clock of the
  // providing fiber afterwards (vitest's `it.effect` gives every test a fresh runtime, so there it
  // does not matter).
  Effect.fork,
  Effect.flatMap(Fiber.await),
  Effect.flatten
)

// 2. HTTP behaviour against the simulated API ---------------------------------------------------------

/** The partner's simulated API and `Records` over HTTP pointed at its port. */
const partnerOverHttp = SimulatedApi.layerWith(
  { rate: PARTNER_RATE, burst: PARTNER_BURST, retryAfter: "seconds" },
  (api) => RecordsHttp(api.url)
)

const overHttp = (limiter: Layer.Layer<RateLimiter.RateLimiter, unknown>) =>
  Effect.gen(function*() {
    const api = yield* SimulatedApi.SimulatedApi
    const started = Date.now()
    const result = yield* Effect.either(syncAll(ids))
    return { result, seconds: (Date.now() - started) / 1000, counters: yield* api.counters }
  }).pipe(
    Effect.provide(
      Layer.merge(partnerOverHttp, limiter).pipe(Layer.provideMerge(NodeHttpClient.layerUndici))
    )
  )

const againstSimulatedApi = Effect.gen(function*() {
  console.log("2. syncAll over HTTP against the simulated API (hidden limit 3/s, burst 3)")
  const paced = yield* overHttp(partnerLimiter)
  console.log(`  with the partner limiter: ${paced.counters.total} requests in ${paced.seconds.toFixed(2)} s, ${paced.counters.rejected429} answered 429`)
  yield* check("every record synced", Either.isRight(paced.result))
  yield* check("the API never answered 429", paced.counters.rejected429 === 0)

  const tooFast = yield* overHttp(RateLimiter.layerMemory({ limits: [Limit.perSecond("partner", 10)] }))
  console.log(`  with a 10/s limiter by mistake: ${tooFast.counters.rejected429} of ${tooFast.counters.total} answered 429`)
  yield* check(
    "a too-generous limiter is caught (the sync fails with RecordsError status 429)",
    Either.isLeft(tooFast.result) && tooFast.result.left._tag === "RecordsError" && tooFast.result.left.status === 429
  )
})

const program = Effect.gen(function*() {
  yield* underTestClock
  yield* againstSimulatedApi
  if (failures.length > 0) return yield* Effect.fail(`${failures.length} check(s) failed: ${failures.join("; ")}`)
  console.log("all checks passed")
})

program.pipe(Effect.provide(exampleLogger), NodeRuntime.runMain)
