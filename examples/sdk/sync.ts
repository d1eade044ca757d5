/**
 * A user's application code, as it would look in their own repository: a `syncAll` that copies
 * records from a partner API which allows 3 requests per second (bursts of 3). It paces itself with
 * effect-governor's `RateLimiter` and reads records through its own `Records` service.
 *
 * `examples/testing.ts` and `test/examples/testing.test.ts` show how to test it with the library's
 * test layers: the memory `RateLimiter` driven by `TestClock`, and the simulated API over real HTTP.
 */
import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { Context, Effect, Layer, Schema } from "effect"
import { Limit, RateLimiter } from "../../src/index.js"

/** The partner's documented limit. */
export const PARTNER_RATE = 3
export const PARTNER_BURST = 3

export class PartnerRecord extends Schema.Class<PartnerRecord>("PartnerRecord")({
  id: Schema.String,
  name: Schema.String,
  version: Schema.Number
}) {}

export class RecordsError extends Schema.TaggedError<RecordsError>()("RecordsError", {
  id: Schema.String,
  status: Schema.optional(Schema.Number),
  reason: Schema.String
}) {}

/** Where records come from. Production: HTTP (`RecordsHttp`); unit tests: anything. */
export class Records extends Context.Tag("app/Records")<Records, {
  readonly fetch: (id: string) => Effect.Effect<PartnerRecord, RecordsError>
}>() {}

/**
 * Requests our limiter lets out at once: one less than the partner's burst. The partner's bucket
 * counts a request when it *arrives*, a little after we send it, so a bucket identical to theirs is
 * sometimes a fraction of a token ahead of it and meets a 429; one token of margin absorbs up to
 * 1/3 s of network jitter.
 */
export const LIMITER_BURST = PARTNER_BURST - 1

/** The limiter the app runs with: the partner's rate, from a bucket of `LIMITER_BURST`. */
export const partnerLimiter = RateLimiter.layerMemory({
  limits: [Limit.custom({ name: "partner", capacity: LIMITER_BURST, refillAmount: 1, refillPeriod: 1000 / PARTNER_RATE })]
})

/**
 * Fetch every record, as fast as the partner allows: all at once, each waiting for the limiter first.
 * Every call of `syncAll` shares the `"partner"` key, so concurrent syncs share the budget.
 */
export const syncAll = (ids: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const limiter = yield* RateLimiter.RateLimiter
    const records = yield* Records
    return yield* Effect.forEach(
      ids,
      (id) => Effect.zipRight(limiter.acquire({ key: "partner" }), records.fetch(id)),
      { concurrency: "unbounded" }
    )
  })

/** `Records` over HTTP (`GET {baseUrl}/items/:id`), on whatever `HttpClient` the app provides. */
export const RecordsHttp = (baseUrl: string): Layer.Layer<Records, never, HttpClient.HttpClient> =>
  Layer.effect(
    Records,
    Effect.map(HttpClient.HttpClient, (http) => {
      const client = http.pipe(HttpClient.mapRequest(HttpClientRequest.prependUrl(baseUrl)))
      return {
        fetch: (id: string) =>
          Effect.gen(function*() {
            const response = yield* client.get(`/items/${encodeURIComponent(id)}`)
            if (response.status !== 200) {
              return yield* new RecordsError({ id, status: response.status, reason: `HTTP ${response.status}` })
            }
            return yield* HttpClientResponse.schemaBodyJson(PartnerRecord)(response)
          }).pipe(
            Effect.catchTags({
              RequestError: (e) => new RecordsError({ id, reason: e.message }),
              ResponseError: (e) => new RecordsError({ id, reason: e.message }),
              ParseError: (e) => new RecordsError({ id, reason: e.message })
            })
          )
      }
    })
  )
