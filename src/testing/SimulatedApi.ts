/**
 * A simulated rate-limited JSON API on a real loopback port, for tests, examples, the demo and the
 * benchmarks. It runs in-process (`node:http` on 127.0.0.1, a free port unless `port` is given) for
 * the lifetime of a `Scope`. Its time is the `Clock` of the scope that starts it: the real clock
 * (`it.live`, benchmarks), or `TestClock` when the test moves it itself (`virtualTime: true`; without
 * it `make` fails at once under `TestClock`, where a client's waits would hang the test).
 *
 * **Server families** (`algorithm`), each a pure `(state, now) -> (state, decision)` in its own module:
 * - `{ type: "token-bucket" }` (default): `rate` per second refills a bucket of `burst` (any burst from
 *   1 request; 0.1 s to 2 s of the rate covers real APIs). Default burst: `max(1, rate)`.
 * - `{ type: "fixed-window", window, anchor? }`: `rate × window` requests per window, the count reset on
 *   the boundary; the window opens at the first request (`anchor: "first-request"`, express-rate-limit
 *   and @fastify/rate-limit) or on multiples of the window since the epoch (`"clock"`).
 * - `{ type: "sliding-log", window }`: at most `rate × window` admitted requests in any `window`.
 * - `{ type: "gcra" }`: nginx `limit_req ... nodelay`: a leaky bucket draining at `rate`, `burst`
 *   requests at once (default 1; nginx `burst=N` is `N + 1`), no Retry-After by default; with
 *   `rejectStatus: 503` it answers as nginx does out of the box.
 *
 * **Rejections** (counted in `rejected429`, whatever the status) cost nothing and answer `rejectStatus`
 * (429; 503 for nginx; 403 for GitHub, which needs `headers.xRateLimit` so that
 * `X-RateLimit-Remaining: 0` tells it from an auth failure) with `Retry-After` (`retryAfter`): whole
 * seconds rounded up (at least 1), `"precise"` fractional seconds, an HTTP-date, or `"none"`. The wait it
 * states is the time until a request would be admitted: a token, the window's end, the oldest log entry
 * leaving, the GCRA's emission time.
 *
 * **Rate-limit headers** on every response (`headers`, see `rateLimitHeaders.ts`): none,
 * `X-RateLimit-*` with the reset in seconds from now or as an epoch second (GitHub style), and the IETF
 * draft fields (`RateLimit-Policy` / `RateLimit` structured, with optional `pk=:base64:` partition key
 * and `qu` quota unit, or the draft-7 / draft-6 layouts express-rate-limit sends). Times to reset are
 * rounded up to whole seconds.
 *
 * **Faults and delays**, drawn from PRNGs seeded by `seed` in arrival order (deterministic for a given
 * request order):
 * - `errorRate`: an admitted request fails with one of `errorStatuses` (default 500; e.g.
 *   `[500, 502, 503, 504]`), never with Retry-After: noise unrelated to the rate.
 * - `resetRate`: an admitted request's socket is destroyed without a response.
 * - `latency`: server time before an admitted response.
 * - `networkDelay` (e.g. `{ min: "50 millis", max: "100 millis" }`): each way, for every request,
 *   before the limiter sees it and again before its response leaves, so feedback arrives late and
 *   requests may be reordered, as over the internet.
 *
 * `setLimit(rate, burst?)` changes the hidden limit at runtime. Routes: `GET /items?cursor=&limit=`
 * (paginated, `next_cursor` / `has_more`), `GET /items/:id` (ETag + Last-Modified, `304` on
 * `If-None-Match` / `If-Modified-Since`), `POST /items` (echoes the `Idempotency-Key`; a repeated key
 * replays the first response), `GET /echo` (returns the request method, path, query and headers),
 * `PUT /items/:id` (bumps the item's version). `routes` mounts your own (`customRoutes.ts`).
 *
 * Options are Schema-validated: an unknown key or a bad value fails with `InvalidSimulatedApiOptions`
 * naming the field.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SimulatedApi } from "effect-governor/testing"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   // express-rate-limit's default shape, a minute window, behind 50-100 ms of network each way
 *   const api = yield* SimulatedApi.make({
 *     rate: 1, algorithm: { type: "fixed-window", window: "1 minute" },
 *     headers: { xRateLimit: "delta", ietf: { draft: "draft-7" } },
 *     networkDelay: { min: "50 millis", max: "100 millis" }
 *   })
 *   const res = yield* Effect.promise(() => fetch(`${api.url}/items?limit=2`))
 *   console.log(res.status, res.headers.get("ratelimit"), yield* api.counters)
 * }))
 * ```
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Either, FiberSet, Layer, Schema, type Scope } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as Custom from "./customRoutes.js"
import { isTestClock, UNDER_TEST_CLOCK } from "./testClockGuard.js"
import { prng } from "./prng.js"
import { rateLimitHeaders } from "./rateLimitHeaders.js"
import { formatHttpDate } from "../retry/retryAfter.js"
import { retryAfterHeader } from "./retryAfterValue.js"
import * as Limiter from "./ServerLimiter.js"
import {
  checkLimit,
  type DelayMs,
  InvalidSimulatedApiOptions,
  type Options,
  type Resolved,
  resolveOptions
} from "./simulatedApiOptions.js"
import * as Routes from "./simulatedRoutes.js"

export {
  /** @since 0.1.0 */
  type Routes,
  /** @since 0.1.0 */
  type SimulatedRequest,
  /** @since 0.1.0 */
  type SimulatedResponse
} from "./customRoutes.js"
export {
  /** @since 0.1.0 */
  type AlgorithmOption,
  /** @since 0.1.0 */
  type Delay,
  /** @since 0.1.0 */
  InvalidSimulatedApiOptions,
  /** @since 0.1.0 */
  type Options
} from "./simulatedApiOptions.js"

/**
 * The server failed to listen.
 *
 * @since 0.1.0
 * @category errors
 */
export class SimulatedApiStartError extends Schema.TaggedError<SimulatedApiStartError>()("SimulatedApiStartError", {
  reason: Schema.String
}) {
  override get message(): string {
    return `SimulatedApi did not start: ${this.reason}`
  }
}

/**
 * The options of {@link make}: the Schema-validated server options, plus routes to mount and the
 * `TestClock` choice (plain values, not data).
 *
 * @since 0.1.0
 * @category models
 */
export interface MakeOptions extends Options {
  /** Handlers by `"METHOD /path"` (`:name` segments), behind the hidden limit; they win over built-ins. */
  readonly routes?: Custom.Routes | undefined
  /**
   * Under `TestClock`, run on it (the test moves time with `TestClock.adjust`) instead of failing with
   * `SimulatedApiStartError` (a client's waits would hang the test). Without effect on the real clock.
   */
  readonly virtualTime?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PathCounters {
  readonly accepted: number
  /** Rejected by the limiter, with 429 or the configured `rejectStatus`. */
  readonly rejected429: number
  readonly errors5xx: number
  readonly resets: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Counters extends PathCounters {
  /** Every request the limiter saw (after any network delay). */
  readonly total: number
  /** Per route (`GET /items`, `GET /items/:id`, …). */
  readonly byPath: Readonly<Record<string, PathCounters>>
  /** Responses answered 304 Not Modified (also counted in `accepted`). */
  readonly notModified: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SimulatedApiShape {
  /** `http://127.0.0.1:PORT` */
  readonly url: string
  readonly port: number
  /**
   * Change the hidden limit now. Bucket families keep what they hold (capped at the new burst); window
   * families take the new `rate × window` at once and accept no `burst`.
   */
  readonly setLimit: (rate: number, burst?: number) => Effect.Effect<void, InvalidSimulatedApiOptions>
  readonly counters: Effect.Effect<Counters>
  /** Zero the counters, refill the limiter, restart the fault sequence and forget idempotency keys. */
  readonly reset: Effect.Effect<void>
  /** The hidden limit in force: the rate, and the most admitted at once (a window family's quota). */
  readonly limit: Effect.Effect<{ readonly rate: number; readonly burst: number }>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class SimulatedApi extends Context.Tag("effect-governor/testing/SimulatedApi")<SimulatedApi, SimulatedApiShape>() {}

// ---------------------------------------------------------------------------------------------

interface MutableCounters {
  accepted: number
  rejected429: number
  errors5xx: number
  resets: number
}

const zero = (): MutableCounters => ({ accepted: 0, rejected429: 0, errors5xx: 0, resets: 0 })

const REJECTION_BODY: Record<Resolved["rejectStatus"], unknown> = {
  429: { error: "rate_limited", message: "Too Many Requests" },
  503: { error: "unavailable", message: "Service Temporarily Unavailable" },
  403: { message: "API rate limit exceeded", documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api" }
}

const drawDelay = (d: DelayMs, u: number): number => d.min + (d.max - d.min) * u

const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string>) => {
  if (res.destroyed) return
  const text = body === undefined ? "" : JSON.stringify(body)
  res.writeHead(status, {
    ...headers,
    ...(body === undefined ? {} : { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) })
  })
  res.end(text)
}

/** The server's counters, overall and per route. */
const makeCounters = () => {
  let total = 0
  let notModified = 0
  let counters = zero()
  let byPath = new Map<string, MutableCounters>()
  return {
    /** A request met the limiter; returns its number. */
    arrived: () => ++total,
    count: (path: string, field: keyof MutableCounters) => {
      counters[field]++
      let c = byPath.get(path)
      if (c === undefined) byPath.set(path, c = zero())
      c[field]++
    },
    notModified: () => void notModified++,
    snapshot: (): Counters => ({
      ...counters,
      total,
      notModified,
      byPath: Object.fromEntries([...byPath].map(([k, v]) => [k, { ...v }]))
    }),
    reset: () => {
      total = 0
      notModified = 0
      counters = zero()
      byPath = new Map()
    }
  }
}

/**
 * The server's mutable state and its request handler; `now` is the scope's clock, `later` runs a
 * callback after a delay on that clock.
 */
const makeState = (
  o: Resolved,
  custom: ReadonlyArray<Custom.Compiled>,
  now: () => number,
  later: (ms: number, f: () => void) => void
) => {
  let limiter = Limiter.make(o.algorithm, o.rate, o.burst, now())
  let faults = prng(o.seed)
  let network = prng(o.seed ^ 0x5bd1e995)
  const counters = makeCounters()
  const count = counters.count
  const routes = Routes.make(o.items, o.maxAge)
  /** The mounted route of a request, if any, and the route name the counters use. */
  const routeOf = (req: http.IncomingMessage) => {
    const method = req.method ?? "GET"
    const url = new URL(req.url ?? "/", "http://127.0.0.1")
    const mounted = Custom.find(custom, method, url)
    return { url, mounted, path: mounted?.name ?? Routes.route(method, url.pathname) }
  }

  const admitted = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    rawBody: string,
    n: number,
    respondIn: number,
    limitHeaders: Record<string, string>
  ) => {
    const { mounted, path, url } = routeOf(req)
    // Draw every fault for every admitted request so the sequence does not depend on outcomes.
    const rReset = faults()
    const rError = faults()
    const rLatency = faults()
    if (rReset < o.resetRate) {
      count(path, "resets")
      req.socket.destroy()
      return
    }
    later(drawDelay(o.latency, rLatency), () => {
      if (rError < o.errorRate) {
        count(path, "errors5xx")
        // rError / errorRate is uniform in [0, 1): it picks the status without another draw.
        const status = o.errorStatuses[Math.min(o.errorStatuses.length - 1, Math.floor((rError / o.errorRate) * o.errorStatuses.length))]!
        later(respondIn, () => send(res, status, { error: "internal", message: "injected failure" }, limitHeaders))
        return
      }
      const [status, body, headers] = mounted !== undefined
        ? mounted.answer({ headers: req.headers, body: rawBody, requestNumber: n })
        : routes.answer(req.method ?? "GET", url, req.headers, rawBody, n)
      count(path, status >= 500 ? "errors5xx" : "accepted")
      if (status === 304) counters.notModified()
      later(respondIn, () => send(res, status, body, { ...limitHeaders, ...headers }))
    })
  }

  const handle = (req: http.IncomingMessage, res: http.ServerResponse, rawBody: string, respondIn: number) => {
    const t = now()
    const n = counters.arrived()
    const [next, decision] = Limiter.take(limiter, t)
    limiter = next
    // Its Date on its own clock, as its HTTP-dates (Node's default, the wall clock, is decades off a TestClock).
    const limitHeaders = { date: formatHttpDate(t), ...rateLimitHeaders(Limiter.view(limiter, t), t, o.headers) }
    if (decision.admitted) return admitted(req, res, rawBody, n, respondIn, limitHeaders)
    count(routeOf(req).path, "rejected429")
    const headers = { ...limitHeaders, ...retryAfterHeader(o.retryAfter, decision.retryAfterMs, t) }
    later(respondIn, () => send(res, o.rejectStatus, REJECTION_BODY[o.rejectStatus], headers))
  }

  return {
    /** A request arrives: it crosses the network, meets the limiter, and its response crosses back. */
    onRequest: (req: http.IncomingMessage, res: http.ServerResponse, rawBody: string) => {
      const there = drawDelay(o.networkDelay, network())
      const back = drawDelay(o.networkDelay, network())
      later(there, () => handle(req, res, rawBody, back))
    },
    setLimit: (rate: number, burst: number) => {
      limiter = Limiter.setLimit(limiter, rate, burst, now())
    },
    limit: () => Limiter.limit(limiter),
    counters: counters.snapshot,
    reset: () => {
      const { burst, rate } = Limiter.limit(limiter)
      limiter = Limiter.make(o.algorithm, rate, burst, now())
      faults = prng(o.seed)
      network = prng(o.seed ^ 0x5bd1e995)
      counters.reset()
      routes.reset()
    }
  }
}

const listen = (server: http.Server, port: number) =>
  Effect.acquireRelease(
    Effect.async<number, SimulatedApiStartError>((resume) => {
      server.once("error", (e) => resume(Effect.fail(new SimulatedApiStartError({ reason: String(e) }))))
      server.listen(port, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
    }),
    () =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
      })
  )

/**
 * Start the simulated API for the lifetime of the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: MakeOptions
): Effect.Effect<
  SimulatedApiShape,
  InvalidSimulatedApiOptions | SimulatedApiStartError,
  Scope.Scope
> =>
  Effect.gen(function*() {
    const { routes = {}, virtualTime = false, ...serverOptions } = options
    const o = yield* Either.match(resolveOptions(serverOptions), { onLeft: Effect.fail, onRight: Effect.succeed })
    const custom = Custom.compile(routes)
    if (custom instanceof InvalidSimulatedApiOptions) return yield* custom
    const clock = yield* Effect.clock
    if (isTestClock(clock) && !virtualTime) return yield* new SimulatedApiStartError({ reason: UNDER_TEST_CLOCK })
    // Delayed work runs on the scope's clock and is interrupted with it.
    const run = yield* FiberSet.makeRuntime<never>()
    const later = (ms: number, f: () => void): void => {
      if (ms <= 0) f()
      else run(Effect.sync(f).pipe(Effect.delay(Duration.millis(ms))))
    }
    const state = makeState(o, custom, () => clock.unsafeCurrentTimeMillis(), later)
    const server = http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => {
        chunks.push(c)
      })
      req.on("end", () => {
        try {
          state.onRequest(req, res, Buffer.concat(chunks).toString("utf8"))
        } catch {
          send(res, 500, { error: "internal" }, {})
        }
      })
      req.on("error", () => {})
    })
    server.keepAliveTimeout = 5_000
    const port = yield* listen(server, o.port)
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      setLimit: (rate, burst) =>
        Effect.suspend(() =>
          Either.match(checkLimit(o.algorithm, rate, burst), {
            onLeft: Effect.fail,
            onRight: (b) => Effect.sync(() => state.setLimit(rate, b))
          })
        ),
      counters: Effect.sync(state.counters),
      reset: Effect.sync(state.reset),
      limit: Effect.sync(state.limit)
    }
  })

/**
 * A layer providing {@link SimulatedApi}; the server stops when the layer is released.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: MakeOptions
): Layer.Layer<SimulatedApi, InvalidSimulatedApiOptions | SimulatedApiStartError> =>
  Layer.scoped(SimulatedApi, make(options))

/**
 * The simulated API and what is built on its URL, as one layer: `f` gets the running server (its
 * `url`, `port`) and returns the layer to point at it, a client or an SDK. Both are provided.
 *
 * @example
 * ```ts
 * import { ApiConfig, ResilientClient } from "effect-governor"
 * import { SimulatedApi } from "effect-governor/testing"
 * const Live = SimulatedApi.layerWith({ rate: 3 }, (api) => ResilientClient.layer(ApiConfig.make({ name: "partner", baseUrl: api.url })))
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layerWith = <ROut, E, RIn>(
  options: MakeOptions,
  f: (api: SimulatedApiShape) => Layer.Layer<ROut, E, RIn>
): Layer.Layer<
  SimulatedApi | ROut,
  E | InvalidSimulatedApiOptions | SimulatedApiStartError,
  Exclude<RIn, SimulatedApi>
> => Layer.provideMerge(Layer.unwrapEffect(Effect.map(SimulatedApi, f)), layer(options))
