/**
 * Adaptive-rate bench ("goodput"): the composed `ResilientClient` (limiter → send → adaptive
 * controller → retry) against the bundled simulated API, in real time, next to plain seed-style AIMD
 * (`seedAimd`: +step per success, × factor per 429, Retry-After as a cooldown for everyone) driving a
 * minimal pacing loop against its own, identical simulated API, one after the other in the same process.
 *
 * Each scenario runs 8 concurrent fibers per client for 15 s. Figures, measured on the server side:
 * - goodput: requests the server accepted per second after the warm-up ÷ the hidden limit in force
 *   (time-weighted when the limit changes), in %;
 * - 429s: 429 answers ÷ requests received after the warm-up, in %.
 * The warm-up is 5 s, 1 s for (e) (rate-limit headers).
 */
import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Clock, Duration, Effect, Fiber, Logger, LogLevel, Option } from "effect"
import { seedAimd } from "../src/adaptive/aimd.js"
import * as ResilientClient from "../src/client/ResilientClient.js"
import * as ApiConfig from "../src/config/ApiConfig.js"
import { parseRetryAfter } from "../src/retry/retryAfter.js"
import * as SimulatedApi from "../src/testing/SimulatedApi.js"
import type { HeaderStyle } from "../src/testing/rateLimitHeaders.js"
import type { BenchGroup, BenchRow } from "./harness.js"

const HIDDEN = 50
const FIBERS = 8
const DURATION_MS = 15_000
/** How far above the documented rate either client may go (`maxRate = PROBE × documented`). */
const PROBE = 10
const PATH = "/items/1"

interface Scenario {
  readonly id: "a" | "b" | "c" | "d" | "e"
  readonly label: string
  /** The documented limit: the config's `initialRate`. */
  readonly documented: number
  readonly warmupMs: number
  readonly headers?: HeaderStyle
  /** The hidden limit changes to `rate` (burst = 1 s of it) at `atMs`. */
  readonly drop?: { readonly atMs: number; readonly rate: number }
}

const scenarios: ReadonlyArray<Scenario> = [
  { id: "a", label: "documented limit accurate (50)", documented: HIDDEN, warmupMs: 5000 },
  { id: "b", label: "docs overstate 2x (100)", documented: 2 * HIDDEN, warmupMs: 5000 },
  { id: "c", label: "docs understate 5x (10)", documented: HIDDEN / 5, warmupMs: 5000 },
  { id: "d", label: "limit drops 50 -> 20 at 7.5 s", documented: HIDDEN, warmupMs: 5000, drop: { atMs: 7500, rate: 20 } },
  { id: "e", label: "IETF RateLimit headers", documented: HIDDEN, warmupMs: 1000, headers: { ietf: true } }
]

/**
 * What a user writes for an API documented at `documented` rps: adaptive from the documented rate,
 * allowed to probe up to `PROBE ×` above it; no hard `limits` (a hard limit at the documented figure
 * would forbid finding a higher real limit, scenario (c)). Breaker and cache are off: they are not
 * what is measured (the breaker would count 429s as failures).
 */
const configFor = (url: string, documented: number) =>
  ApiConfig.decode({
    name: "bench",
    baseUrl: url,
    adaptive: {
      enabled: true,
      initialRate: documented,
      minRate: documented / 100,
      maxRate: documented * PROBE,
      increaseStep: documented / 100,
      decreaseFactor: 0.5
    },
    breaker: { enabled: false },
    cache: { enabled: false },
    throttle: false
  })

interface Window {
  readonly accepted: number
  readonly rejected: number
  readonly total: number
  readonly at: number
}

const sample = (api: SimulatedApi.SimulatedApiShape): Effect.Effect<Window> =>
  Effect.map(api.counters, (c) => ({ accepted: c.accepted, rejected: c.rejected429, total: c.total, at: performance.now() }))

interface Measured {
  readonly goodputPct: number
  readonly r429Pct: number
  readonly accepted: number
  readonly rejected: number
}

/**
 * Start the simulated API, run `load` on it for `DURATION_MS` (changing the limit when the scenario
 * says), and measure after the warm-up.
 */
const measure = <E, R>(
  sc: Scenario,
  load: (api: SimulatedApi.SimulatedApiShape) => Effect.Effect<unknown, E, R>
) =>
  Effect.scoped(Effect.gen(function*() {
    const api = yield* SimulatedApi.make({ rate: HIDDEN, burst: HIDDEN, retryAfter: "seconds", headers: sc.headers })
    const start = performance.now()
    const fiber = yield* Effect.fork(load(api))
    const sleepUntil = (ms: number) => Effect.suspend(() => Effect.sleep(Duration.millis(Math.max(0, start + ms - performance.now()))))
    yield* sleepUntil(sc.warmupMs)
    const w0 = yield* sample(api)
    let dropAt = Infinity
    if (sc.drop !== undefined) {
      yield* sleepUntil(sc.drop.atMs)
      yield* api.setLimit(sc.drop.rate, sc.drop.rate)
      dropAt = performance.now()
    }
    yield* sleepUntil(DURATION_MS)
    const w1 = yield* sample(api)
    yield* Fiber.interrupt(fiber)
    // ∫ hidden rate dt over the measured window.
    const high = (Math.min(dropAt, w1.at) - w0.at) / 1000
    const low = Math.max(0, (w1.at - Math.max(dropAt, w0.at)) / 1000)
    const allowed = HIDDEN * high + (sc.drop?.rate ?? HIDDEN) * low
    const accepted = w1.accepted - w0.accepted
    const rejected = w1.rejected - w0.rejected
    const sent = w1.total - w0.total
    return {
      goodputPct: (accepted / allowed) * 100,
      r429Pct: sent === 0 ? 0 : (rejected / sent) * 100,
      accepted,
      rejected
    } satisfies Measured
  }))

/** Our client: 8 fibers issuing GETs through the composed client as fast as it lets them. */
const ours = (sc: Scenario) =>
  measure(sc, (api) =>
    Effect.gen(function*() {
      const config = yield* configFor(api.url, sc.documented)
      const { client } = yield* ResilientClient.make(config)
      const one = client.get(PATH).pipe(Effect.flatMap((r) => r.text), Effect.ignore)
      yield* Effect.all(Array.from({ length: FIBERS }, () => Effect.forever(one)), { concurrency: "unbounded", discard: true })
    }).pipe(Effect.scoped))

/**
 * The baseline: plain seed-style AIMD. One shared pace (`rate`, next free slot) for 8 fibers; each
 * success adds `increaseStep`, each 429 multiplies by `decreaseFactor` and a Retry-After pauses
 * every fiber until it has passed — the seed's `current_rate` / `cooldown_until`. Same parameters as
 * our config.
 */
const seed = (sc: Scenario) =>
  measure(sc, (api) =>
    Effect.gen(function*() {
      const http = yield* HttpClient.HttpClient
      const c = { minRate: sc.documented / 100, maxRate: sc.documented * PROBE, increaseStep: sc.documented / 100, decreaseFactor: 0.5 }
      let rate = sc.documented
      let nextAt = 0
      let cooldownUntil = 0
      const one = Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const at = Math.max(now, nextAt, cooldownUntil)
        nextAt = at + 1000 / rate
        if (at > now) yield* Effect.sleep(Duration.millis(at - now))
        const response = yield* http.get(`${api.url}${PATH}`)
        yield* response.text
        const done = yield* Clock.currentTimeMillis
        if (response.status === 429) {
          rate = seedAimd(c, rate, "backoff")
          const ra = response.headers["retry-after"]
          const ms = ra === undefined ? Option.none() : parseRetryAfter(ra, done)
          if (Option.isSome(ms)) cooldownUntil = Math.max(cooldownUntil, done + ms.value)
        } else if (response.status < 400) {
          rate = seedAimd(c, rate, "success")
        }
      }).pipe(Effect.ignore)
      yield* Effect.all(Array.from({ length: FIBERS }, () => Effect.forever(one)), { concurrency: "unbounded", discard: true })
    }))

const pct = (n: number) => Math.round(n * 100) / 100

export const group: BenchGroup = {
  name: "adaptive",
  description:
    `goodput vs hidden limit (${HIDDEN} rps, burst ${HIDDEN} = 1 s, Retry-After seconds; ${FIBERS} fibers, ${DURATION_MS / 1000} s real time, ours then seed AIMD)`,
  run: async () => {
    const rows: Array<BenchRow> = []
    const figures: Record<string, number> = {}
    for (const sc of scenarios) {
      // One after the other: on a small machine the two at once would compete for the event loop.
      const program = Effect.all([ours(sc), seed(sc)]).pipe(
        Effect.provide(NodeHttpClient.layerUndici),
        Effect.provide(Logger.minimumLogLevel(LogLevel.Warning))
      )
      const [a, s] = await Effect.runPromise(program)
      const after = `after ${sc.warmupMs / 1000} s`
      rows.push(
        { name: `(${sc.id}) goodput`, value: a.goodputPct, unit: "%", note: `${sc.label}; ${after}; seed ${s.goodputPct.toFixed(1)}%` },
        { name: `(${sc.id}) 429s`, value: a.r429Pct, unit: "%", note: `${a.rejected} of ${a.accepted + a.rejected}; seed ${s.r429Pct.toFixed(2)}% (${s.rejected})` }
      )
      figures[`adaptive.${sc.id}.goodput_pct`] = pct(a.goodputPct)
      figures[`adaptive.${sc.id}.r429_pct`] = pct(a.r429Pct)
      figures[`adaptive.seed.${sc.id}.goodput_pct`] = pct(s.goodputPct)
      figures[`adaptive.seed.${sc.id}.r429_pct`] = pct(s.r429Pct)
    }
    return { rows, figures }
  }
}
