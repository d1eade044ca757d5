import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Either, Exit, Logger } from "effect"
import { formatHttpDate } from "../../src/retry/retryAfter.js"
import { RetriesExhausted } from "../../src/retry/errors.js"
import { type RetryEvent, retryRequest, runRetries, type RetrySummary } from "../../src/retry/retryRequest.js"
import * as RetryPolicy from "../../src/retry/RetryPolicy.js"
import { drive, type Reply, type Seen, startServer } from "./support.js"

const policyOf = (options: RetryPolicy.RetryPolicyOptions) =>
  Either.getOrThrow(RetryPolicy.make({ jitter: "none", initialDelay: 100, maxDelay: 10_000, ...options }))

/** Runs one request against a scripted server through the real Node HttpClient. */
const run = (
  options: RetryPolicy.RetryPolicyOptions,
  script: (n: number, req: Seen) => Reply,
  makeRequest: (url: string) => HttpClientRequest.HttpClientRequest = (url) => HttpClientRequest.get(`${url}/thing`)
) =>
  Effect.gen(function*() {
    const server = yield* startServer(script)
    const client = yield* HttpClient.HttpClient
    const events: Array<RetryEvent> = []
    const summaries: Array<RetrySummary> = []
    const { exit, waits } = yield* drive(
      retryRequest(policyOf(options), makeRequest(server.url), (req) => client.execute(req), {
        onRetry: (e) => Effect.sync(() => events.push(e)),
        onDone: (s) => Effect.sync(() => summaries.push(s))
      })
    )
    return { exit, waits, seen: server.seen, events, summaries }
  }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layer))

const statusOf = <E>(exit: Exit.Exit<{ status: number }, E>) => Exit.isSuccess(exit) ? exit.value.status : undefined
const exhaustedOf = <A, E>(exit: Exit.Exit<A, E>): RetriesExhausted => {
  if (Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error instanceof RetriesExhausted) {
    return exit.cause.error
  }
  throw new Error(`expected RetriesExhausted, got ${String(exit)}`)
}

describe("retryRequest", () => {
  it.effect("retries each default status, then succeeds", () =>
    Effect.gen(function*() {
      for (const status of [408, 425, 429, 500, 502, 503, 504]) {
        const r = yield* run({}, (n) => n === 1 ? { status } : { status: 200, body: "ok" })
        expect(statusOf(r.exit), `status ${status}`).toBe(200)
        expect(r.seen.length).toBe(2)
        expect(r.waits).toEqual([100])
      }
    }))

  it.effect("returns other 4xx (and 501) as-is without retrying", () =>
    Effect.gen(function*() {
      for (const status of [400, 401, 403, 404, 409, 422, 501]) {
        const r = yield* run({}, () => ({ status }))
        expect(statusOf(r.exit)).toBe(status)
        expect(r.seen.length).toBe(1)
        expect(r.summaries).toEqual([
          { attempts: 1, retries: 0, delays: [], lastStatus: status, retryAfter: undefined, exhausted: false }
        ])
      }
    }))

  it.effect("backs off exponentially and fails with RetriesExhausted carrying what happened", () =>
    Effect.gen(function*() {
      const r = yield* run({ maxRetries: 3, multiplier: 3 }, () => ({ status: 503 }))
      expect(r.seen.length).toBe(4)
      expect(r.waits).toEqual([100, 300, 900])
      const e = exhaustedOf(r.exit)
      expect(e.reason).toBe("MaxRetries")
      expect(e.attempts).toBe(4)
      expect(e.lastStatus).toBe(503)
      expect(e.delays.map(Duration.toMillis)).toEqual([100, 300, 900])
      expect(e.retryAfter).toBeUndefined()
      expect(e.lastResponse?.status).toBe(503)
      expect(e.method).toBe("GET")
      expect(e.message).toContain("4 attempt")
      expect(r.events.map((ev) => [ev.attempt, Duration.toMillis(ev.delay), ev.source, ev.status])).toEqual([
        [1, 100, "Backoff", 503],
        [2, 300, "Backoff", 503],
        [3, 900, "Backoff", 503]
      ])
      expect(r.summaries[0]?.exhausted).toBe(true)
    }))

  it.effect("maxAttempts counts the first attempt", () =>
    Effect.gen(function*() {
      const r = yield* run({ maxAttempts: 2 }, () => ({ status: 500 }))
      expect(r.seen.length).toBe(2)
      expect(exhaustedOf(r.exit).attempts).toBe(2)
    }))

  it.effect("Retry-After in seconds wins over the backoff", () =>
    Effect.gen(function*() {
      const r = yield* run({}, (n) => n === 1 ? { status: 429, headers: { "retry-after": "7" } } : { status: 200 })
      expect(statusOf(r.exit)).toBe(200)
      expect(r.waits).toEqual([7_000])
      expect(r.events[0]?.source).toBe("RetryAfter")
      expect(r.summaries[0]?.retryAfter).toEqual(Duration.millis(7_000))
    }))

  it.effect("Retry-After as an HTTP-date wins over the backoff", () =>
    Effect.gen(function*() {
      // The TestClock starts at epoch 0, so the date is 12 s ahead of "now"; the server's Date says so
      // too (the wall clock's would read the date as 56 years past: retry at once).
      const r = yield* run(
        {},
        (n) => n === 1 ? { status: 503, headers: { "retry-after": formatHttpDate(12_000), date: formatHttpDate(0) } } : { status: 200 }
      )
      expect(statusOf(r.exit)).toBe(200)
      expect(r.waits).toEqual([12_000])
    }))

  it.effect("an HTTP-date is read with each attempt's round trip: answers 1.5 s on their way wait what the agreeing clocks say", () =>
    Effect.gen(function*() {
      // Each attempt takes 1.5 s; the server stamps Date at its send (agreeing clocks) and asks for a
      // retry 5 s after it. Without the round trip the allowance was 1 s: 4 s waited, not 3.5 s.
      const waits: Array<number> = []
      const send = (req: HttpClientRequest.HttpClientRequest, track: { attempt: number }) =>
        Effect.gen(function*() {
          const sent = yield* Clock.currentTimeMillis
          yield* Effect.sleep(1500)
          const status = track.attempt < 3 ? 503 : 200
          const headers = { "retry-after": formatHttpDate(sent + 5000), date: formatHttpDate(sent) }
          return HttpClientResponse.fromWeb(req, new Response(null, { status, headers }))
        })
      const { exit } = yield* drive(
        runRetries(policyOf({}), HttpClientRequest.get("http://x.test/thing"), send, { attempt: 1, delays: [] }, {
          startedAt: 0,
          hooks: { onRetry: (e) => Effect.sync(() => waits.push(Duration.toMillis(e.delay))) }
        })
      )
      expect(statusOf(exit)).toBe(200)
      expect(waits).toEqual([3500, 3500])
    }))

  it.effect("a 503 a cache served later is read with its Age: its Retry-After date past, the retry comes at once", () =>
    Effect.gen(function*() {
      const waits: Array<number> = []
      // Stored 10 minutes ago asking for a retry a minute later; the origin's Date alone read 59 s more.
      const send = (req: HttpClientRequest.HttpClientRequest, track: { attempt: number }) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          const headers = { "retry-after": formatHttpDate(now - 540_000), date: formatHttpDate(now - 600_000), age: "600" }
          return HttpClientResponse.fromWeb(req, new Response(null, { status: track.attempt === 1 ? 503 : 200, headers }))
        })
      const { exit } = yield* drive(
        runRetries(policyOf({}), HttpClientRequest.get("http://x.test/thing"), send, { attempt: 1, delays: [] }, {
          startedAt: 0,
          hooks: { onRetry: (e) => Effect.sync(() => waits.push(Duration.toMillis(e.delay))) }
        })
      )
      expect(statusOf(exit)).toBe(200)
      expect(waits).toEqual([0])
    }))

  it.effect("Retry-After is capped by maxRetryAfter and reported uncapped", () =>
    Effect.gen(function*() {
      const r = yield* run(
        { maxRetryAfter: "5 seconds", maxRetries: 1 },
        () => ({ status: 429, headers: { "retry-after": "3600" } })
      )
      expect(r.waits).toEqual([5_000])
      const e = exhaustedOf(r.exit)
      expect(e.retryAfter).toEqual(Duration.hours(1))
      expect(e.lastStatus).toBe(429)
      expect(e.message).toContain("retry after")
    }))

  it.effect("a malformed or absurd Retry-After falls back to the backoff and is logged", () =>
    Effect.gen(function*() {
      const logs: Array<{ message: unknown; annotations: Record<string, unknown> }> = []
      const logger = Logger.make(({ annotations, message }) => {
        const a: Record<string, unknown> = {}
        for (const [k, v] of annotations) a[k] = v
        logs.push({ message, annotations: a })
      })
      const r = yield* run(
        {},
        (n) =>
          n === 1
            ? { status: 503, headers: { "retry-after": "soon-ish" } }
            : n === 2
            ? { status: 503, headers: { "retry-after": "99999999" } }
            : { status: 200 }
      ).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      expect(statusOf(r.exit)).toBe(200)
      expect(r.waits).toEqual([100, 200])
      const warnings = logs.filter((l) => String(l.message).includes("Retry-After"))
      expect(warnings.map((w) => w.annotations["retryAfter"])).toEqual(["soon-ish", "99999999"])
    }))

  it.effect("respectRetryAfter: false uses the backoff", () =>
    Effect.gen(function*() {
      const r = yield* run(
        { respectRetryAfter: false },
        (n) => n === 1 ? { status: 429, headers: { "retry-after": "30" } } : { status: 200 }
      )
      expect(r.waits).toEqual([100])
    }))

  it.effect("never retries a POST without an Idempotency-Key", () =>
    Effect.gen(function*() {
      const r = yield* run({}, () => ({ status: 503 }), (url) => HttpClientRequest.post(url))
      expect(statusOf(r.exit)).toBe(503)
      expect(r.seen.length).toBe(1)
      const p = yield* run({}, () => ({ status: 503 }), (url) => HttpClientRequest.patch(url))
      expect(p.seen.length).toBe(1)
    }))

  it.effect("retries a POST carrying an Idempotency-Key, or when opted in", () =>
    Effect.gen(function*() {
      const keyed = yield* run(
        {},
        (n) => n === 1 ? { status: 503 } : { status: 201 },
        (url) => HttpClientRequest.post(url).pipe(HttpClientRequest.setHeader("Idempotency-Key", "abc-123"))
      )
      expect(statusOf(keyed.exit)).toBe(201)
      expect(keyed.seen.map((s) => s.headers["idempotency-key"])).toEqual(["abc-123", "abc-123"])
      const optIn = yield* run(
        { retryNonIdempotent: true },
        (n) => n === 1 ? { status: 503 } : { status: 201 },
        (url) => HttpClientRequest.post(url)
      )
      expect(statusOf(optIn.exit)).toBe(201)
      expect(optIn.seen[1]?.headers["idempotency-key"]).toBeUndefined()
    }))

  it.effect("a generated Idempotency-Key is sent unchanged on every attempt", () =>
    Effect.gen(function*() {
      const r = yield* run(
        { idempotencyKey: "generate" },
        (n) => n < 3 ? { status: 502 } : { status: 201 },
        (url) => HttpClientRequest.post(url).pipe(HttpClientRequest.bodyText("payload"))
      )
      expect(statusOf(r.exit)).toBe(201)
      const keys = r.seen.map((s) => s.headers["idempotency-key"])
      expect(keys.length).toBe(3)
      expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/)
      expect(new Set(keys).size).toBe(1)
      expect(r.seen.map((s) => s.body)).toEqual(["payload", "payload", "payload"])
      // GET needs no key
      const get = yield* run({ idempotencyKey: "generate" }, () => ({ status: 200 }))
      expect(get.seen[0]?.headers["idempotency-key"]).toBeUndefined()
    }))

  it.effect("a custom decide hook can retry, delay, stop or defer", () =>
    Effect.gen(function*() {
      // Retry a 409 (normally final) after 2 s, stop on a 503 (normally retried).
      const seenAttempts: Array<number> = []
      const r = yield* run(
        {
          decide: (outcome, attempt) => {
            seenAttempts.push(attempt)
            if (outcome._tag === "Response" && outcome.response.status === 409) {
              return RetryPolicy.RetryDecision.retry("2 seconds")
            }
            if (outcome._tag === "Response" && outcome.response.status === 503) return RetryPolicy.RetryDecision.stop
            return RetryPolicy.RetryDecision.default
          }
        },
        (n) => n === 1 ? { status: 409 } : n === 2 ? { status: 500 } : { status: 503 }
      )
      expect(statusOf(r.exit)).toBe(503)
      expect(r.waits).toEqual([2_000, 200])
      expect(seenAttempts).toEqual([1, 2, 3])
      expect(r.events.map((e) => e.source)).toEqual(["Decide", "Backoff"])
    }))

  it.effect("stops when the next wait would overrun the total budget", () =>
    Effect.gen(function*() {
      const r = yield* run({ totalBudget: "1 second", maxRetries: 10 }, () => ({ status: 500 }))
      // waits 100 + 200 + 400 = 700 ms; the next (800) would end at 1.5 s
      expect(r.waits).toEqual([100, 200, 400])
      const e = exhaustedOf(r.exit)
      expect(e.reason).toBe("Budget")
      expect(e.attempts).toBe(4)
    }))

  it.effect("a Retry-After beyond the budget stops at once", () =>
    Effect.gen(function*() {
      const r = yield* run({ totalBudget: "10 seconds" }, () => ({ status: 429, headers: { "retry-after": "30" } }))
      expect(r.seen.length).toBe(1)
      const e = exhaustedOf(r.exit)
      expect(e.reason).toBe("Budget")
      expect(e.retryAfter).toEqual(Duration.seconds(30))
    }))

  it.effect("retries transport errors (the server drops the connection)", () =>
    Effect.gen(function*() {
      const r = yield* run({}, (n) => n <= 2 ? "destroy" : { status: 200, body: "finally" })
      expect(statusOf(r.exit)).toBe(200)
      expect(r.seen.length).toBe(3)
      expect(r.waits).toEqual([100, 200])
      expect(r.events.every((e) => e.status === undefined)).toBe(true)
    }))

  it.effect("exhausted transport errors keep the last error", () =>
    Effect.gen(function*() {
      const r = yield* run({ maxRetries: 1 }, () => "destroy")
      const e = exhaustedOf(r.exit)
      expect(e.attempts).toBe(2)
      expect(e.lastStatus).toBeUndefined()
      expect((e.lastError as { _tag: string; reason: string })).toMatchObject({ _tag: "RequestError", reason: "Transport" })
    }))

  it.effect("retryOnTransport: false fails with the transport error", () =>
    Effect.gen(function*() {
      const r = yield* run({ retryOnTransport: false }, () => "destroy")
      expect(r.seen.length).toBe(1)
      expect(Exit.isFailure(r.exit)).toBe(true)
      if (Exit.isFailure(r.exit) && r.exit.cause._tag === "Fail") {
        expect(r.exit.cause.error).toMatchObject({ _tag: "RequestError" })
      }
    }))

  it.effect("a custom status set replaces the default", () =>
    Effect.gen(function*() {
      const r = yield* run({ retryOnStatus: [418] }, (n) => n === 1 ? { status: 418 } : { status: 503 })
      expect(statusOf(r.exit)).toBe(503)
      expect(r.seen.length).toBe(2)
    }))

  it.effect("classifies ResponseErrors from filterStatusOk by their status", () =>
    Effect.gen(function*() {
      const server = yield* startServer((n) => n === 1 ? { status: 502 } : n === 2 ? { status: 404 } : { status: 200 })
      const client = (yield* HttpClient.HttpClient).pipe(HttpClient.filterStatusOk)
      const { exit, waits } = yield* drive(
        retryRequest(policyOf({}), HttpClientRequest.get(server.url), (req) => client.execute(req))
      )
      expect(waits).toEqual([100])
      expect(server.seen.length).toBe(2)
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag).toBe("ResponseError")
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layer)))

  it.effect("the attempt number is passed to each attempt", () =>
    Effect.gen(function*() {
      const server = yield* startServer((n) => n < 3 ? { status: 500 } : { status: 200 })
      const client = yield* HttpClient.HttpClient
      const numbers: Array<number> = []
      const { exit } = yield* drive(
        retryRequest(policyOf({}), HttpClientRequest.get(server.url), (req, n) => {
          numbers.push(n)
          return client.execute(req)
        })
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(numbers).toEqual([1, 2, 3])
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layer)))

  it.effect("the error message hides secrets in the query string: every value, known names or not", () =>
    Effect.gen(function*() {
      let base = ""
      const r = yield* run(
        { maxRetries: 0 },
        () => ({ status: 500 }),
        (url) => HttpClientRequest.get(`${base = url}/x?api_key=SECRET&hapikey=OTHER&page=2#frag-SECRET`)
      )
      const e = exhaustedOf(r.exit)
      for (const text of [e.url, e.message]) {
        expect(text).not.toContain("SECRET")
        expect(text).not.toContain("OTHER")
      }
      expect(e.url).toBe(`${base}/x?api_key=[REDACTED]&hapikey=[REDACTED]&page=[REDACTED]`)
    }))
})
