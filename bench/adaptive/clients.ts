/**
 * The three clients a cell compares, each running `fibers` loops of `GET /items/1` until interrupted:
 * - `composed`: what a user writes, `ResilientClient` with `adaptive: { enabled: true, initialRate:
 *   <documented> }` and every other setting at its default (retries, breaker, throttle);
 * - `oracle`: a fixed GCRA limiter (burst 1) at the true hidden rate, following a drop at once, that
 *   ignores every answer: the best a fixed limiter can do;
 * - `seed`: seed-style AIMD (`SeedAimd.seedAimd`, the controller's default parameters for the documented
 *   rate): +step per success, × factor per backoff, a Retry-After pauses every fiber.
 */
import { HttpClient } from "@effect/platform"
import { Clock, Duration, Effect, Option, type Scope } from "effect"
import * as Aimd from "../../src/adaptive/aimd.js"
import * as SeedAimd from "../../src/adaptive/seedAimd.js"
import * as ResilientClient from "../../src/client/ResilientClient.js"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import { parseRetryAfter } from "../../src/retry/retryAfter.js"

export const PATH = "/items/1"

/** What a client is told about the server it loads. */
export interface Target {
  readonly url: string
  readonly documented: number
  readonly fibers: number
  /** The hidden limit in force now: only the oracle may read it. */
  readonly hidden: () => number
}

/** Loads the target until interrupted. */
export type Load = (target: Target) => Effect.Effect<void, never, HttpClient.HttpClient | Scope.Scope>

const loop = (fibers: number, one: Effect.Effect<void>) =>
  Effect.all(Array.from({ length: fibers }, () => Effect.forever(one)), { concurrency: "unbounded", discard: true })

/**
 * A shared pace for all fibers (GCRA): one fiber at a time waits for the next slot, `1 / rate()` after
 * the previous one and not before `notBefore()`. The waiter re-reads both at least every 100 ms, so a
 * rate raised (or a cooldown set) while it waits applies at once: slots are never booked ahead at a
 * rate that has since changed. A fiber woken late keeps its slot (the next one may follow at once), an
 * idle pace banks no more than that one slot.
 */
const pacer = (rate: () => number, notBefore: () => number): Effect.Effect<void> => {
  const gate = Effect.unsafeMakeSemaphore(1)
  let last = -Infinity
  const wait: Effect.Effect<void> = Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const interval = 1000 / rate()
    const at = Math.max(last + interval, notBefore())
    if (at <= now) {
      last = Math.max(at, now - interval)
      return Effect.void
    }
    return Effect.zipRight(Effect.sleep(Duration.millis(Math.min(at - now, 100))), wait)
  })
  return gate.withPermits(1)(wait)
}

export const composed: Load = (t) =>
  Effect.gen(function*() {
    const config = yield* Effect.orDie(ApiConfig.decode({ name: "bench", baseUrl: t.url, adaptive: { enabled: true, initialRate: t.documented } }))
    const { client } = yield* Effect.orDie(ResilientClient.make(config))
    const one = client.get(PATH).pipe(
      Effect.flatMap((r) => r.text),
      // An open breaker fails at once without sending: without a pause the loop would spin and starve
      // the cells running beside this one (the server sees nothing either way).
      Effect.catchIf((e) => e._tag === "CircuitOpenError", () => Effect.sleep(Duration.millis(50))),
      Effect.ignore
    )
    yield* loop(t.fibers, one)
  })

export const oracle: Load = (t) =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const slot = pacer(t.hidden, () => 0)
    const one = slot.pipe(Effect.zipRight(http.get(`${t.url}${PATH}`)), Effect.flatMap((r) => r.text), Effect.ignore)
    yield* loop(t.fibers, one)
  })

/** A backoff for the seed: 429, 503, or GitHub's 403 with `X-RateLimit-Remaining: 0`. */
const isBackoff = (status: number, headers: Readonly<Record<string, string>>) =>
  status === 429 || status === 503 || (status === 403 && headers["x-ratelimit-remaining"] === "0")

export const seed: Load = (t) =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const c = Aimd.defaultConfig(t.documented)
    let rate = t.documented
    let cooldownUntil = 0
    const slot = pacer(() => rate, () => cooldownUntil)
    const one = Effect.gen(function*() {
      yield* slot
      const response = yield* http.get(`${t.url}${PATH}`)
      yield* response.text
      const done = yield* Clock.currentTimeMillis
      if (isBackoff(response.status, response.headers)) {
        rate = SeedAimd.seedAimd(c, rate, "backoff")
        const ra = response.headers["retry-after"]
        const ms = ra === undefined ? Option.none() : parseRetryAfter(ra, done)
        if (Option.isSome(ms)) cooldownUntil = Math.max(cooldownUntil, done + ms.value)
      } else if (response.status < 400) {
        rate = SeedAimd.seedAimd(c, rate, "success")
      }
    }).pipe(Effect.ignore)
    yield* loop(t.fibers, one)
  })

export const clients = { composed, oracle, seed } as const
export type ClientName = keyof typeof clients
