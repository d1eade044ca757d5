/**
 * The pieces of the probe's shell: one exchange with the API, the tally of what the responses said,
 * one paced step of the plan, the pause a step's 429s ask for, and the words for why the probe
 * stopped. `commands/probe.ts` runs the plan with them.
 *
 * @since 0.1.0
 * @internal
 */
import type { HttpClient, HttpClientRequest } from "@effect/platform"
import { Clock, Duration, Effect, Fiber, Option, Ref } from "effect"
import { type HeaderInput, parseRateLimitHeaders } from "../adaptive/headers.js"
import { formatDuration } from "../internal/duration.js"
import { parseRetryAfter, serverClockOf, type ServerClock } from "../retry/retryAfter.js"
import * as Format from "./format.js"
import type * as Plan from "./probePlan.js"

/** One response (or failure) as the shell saw it. */
export interface Exchange {
  readonly sentAt: number
  readonly status: number | undefined
  readonly headers: Readonly<Record<string, string>>
  readonly error: string | undefined
}

/** Sends `request` once, reads its body, and reports what came back (never fails). */
export const exchangeWith = (
  client: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  timeout: Duration.Duration
) =>
(sentAt: number): Effect.Effect<Exchange> =>
  client.execute(request).pipe(
    Effect.tap((response) => Effect.ignore(response.arrayBuffer)),
    Effect.timeout(timeout),
    Effect.match({
      onFailure: (e): Exchange => ({
        sentAt,
        status: undefined,
        headers: {},
        error: e._tag === "TimeoutException"
          ? `no response within ${formatDuration(timeout)}`
          : e._tag === "RequestError"
          ? `request failed (${e.reason}${e.cause instanceof Error ? `: ${e.cause.message}` : ""})`
          : `response failed (${e.reason})`
      }),
      onSuccess: (response): Exchange => ({
        sentAt,
        status: response.status,
        headers: response.headers as unknown as Record<string, string>,
        error: undefined
      })
    })
  )

/** What the responses said so far. Mutated by {@link inspect} only. */
export interface Tally {
  /** Rate-limit headers seen, by lower-case name (the last value of each). */
  readonly seenHeaders: Map<string, string>
  /** The rate the rate-limit headers state, once they state one. */
  headerRate: number | undefined
  /** The first sign of trouble (a failure, an unexpected status, a Retry-After too long). */
  trouble: string | undefined
  admitted: number
  rateLimited: number
  other: number
}

/** An empty tally. */
export const newTally = (): Tally => ({
  seenHeaders: new Map(),
  headerRate: undefined,
  trouble: undefined,
  admitted: 0,
  rateLimited: 0,
  other: 0
})

const RATE_LIMIT_HEADER = /ratelimit|rate-limit|retry-after/i

/** Counts an exchange into `t`, and says whether it ends the step (and maybe the probe). */
export const inspect = (t: Tally, x: Exchange, now: number): "continue" | "limited" | "stop" => {
  for (const [name, value] of Object.entries(x.headers)) {
    if (RATE_LIMIT_HEADER.test(name)) t.seenHeaders.set(name.toLowerCase(), value)
  }
  if (x.status === undefined) {
    t.other++
    t.trouble ??= x.error ?? "request failed"
    return "stop"
  }
  const { info } = parseRateLimitHeaders(x.headers as HeaderInput, now)
  if (Option.isSome(info) && info.value.limit !== undefined && info.value.window !== undefined && info.value.window > 0) {
    t.headerRate ??= info.value.limit / (info.value.window / 1000)
  }
  if (x.status === 429) {
    t.rateLimited++
    return "limited"
  }
  if (x.status >= 200 && x.status < 400) {
    t.admitted++
    return t.headerRate !== undefined ? "stop" : "continue"
  }
  t.other++
  t.trouble ??= `unexpected HTTP ${x.status}`
  return "stop"
}

/**
 * One step of the plan: `requests` exchanges paced at `rate`, at most `maxInFlight` at once, the
 * sending stopped by the first exchange that ends the step.
 */
export const runStep = (
  exchange: (sentAt: number) => Effect.Effect<Exchange>,
  tally: Tally,
  maxInFlight: number,
  rate: number,
  requests: number
): Effect.Effect<{ readonly exchanges: ReadonlyArray<Exchange>; readonly limited: boolean }> =>
  Effect.gen(function*() {
    const halt = yield* Ref.make(false)
    const inFlight = yield* Effect.makeSemaphore(maxInFlight)
    const exchanges: Array<Exchange> = []
    const fibers: Array<Fiber.RuntimeFiber<void>> = []
    let limited = false
    const start = yield* Clock.currentTimeMillis
    for (let i = 0; i < requests; i++) {
      const wait = start + (i * 1000) / rate - (yield* Clock.currentTimeMillis)
      if (wait > 0) yield* Effect.sleep(Duration.millis(wait))
      yield* inFlight.take(1)
      if (yield* Ref.get(halt)) {
        yield* inFlight.release(1)
        break
      }
      const sentAt = yield* Clock.currentTimeMillis
      const fiber = yield* exchange(sentAt).pipe(
        Effect.flatMap((x) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => {
            exchanges.push(x)
            const verdict = inspect(tally, x, now)
            if (verdict === "limited") limited = true
            return verdict === "continue" ? Effect.void : Ref.set(halt, true)
          })
        ),
        Effect.ensuring(inFlight.release(1)),
        Effect.fork
      )
      fibers.push(fiber)
    }
    yield* Fiber.joinAll(fibers)
    return { exchanges, limited }
  })

/** What bounds an HTTP-date's reading: the exchange's Date and Age, its round trip at most the time since its send. */
const server = (x: Exchange, now: number): ServerClock => serverClockOf((name) => x.headers[name], now - x.sentAt)

/** The pause after a step's 429s: their longest Retry-After, at least 1 s (1 s when one carried none). */
export const pauseAfter = (exchanges: ReadonlyArray<Exchange>, now: number): number =>
  Math.max(
    1000,
    ...exchanges
      .filter((x) => x.status === 429)
      .map((x) => {
        const value = x.headers["retry-after"]
        return value === undefined ? 1000 : Option.getOrElse(parseRetryAfter(value, now, undefined, server(x, now)), () => 1000)
      })
  )

/** Why the probe stopped, in words. */
export const stopDetail = (reason: Plan.StopReason, trouble: string | undefined, plan: Plan.PlanOptions): string =>
  reason === "trouble"
    ? trouble ?? "trouble"
    : reason === "headers"
    ? "the rate-limit headers state the limit"
    : reason === "measured"
    ? `two 429s at least ${plan.measureSeconds} s apart`
    : reason === "max-rate"
    ? `no 429 up to --max-rate ${Format.rate(plan.maxRate)}`
    : `the request cap (${plan.maxRequests}) was reached`
