/**
 * A simulated rate-limited JSON API on a real loopback port, for tests, examples, the demo and the
 * benchmarks. It runs in-process (`node:http` on 127.0.0.1, a free port unless `port` is given) for
 * the lifetime of a `Scope`.
 *
 * Behaviour:
 * - A hidden token bucket (`rate` per second, `burst` at once) admits requests; a request that finds no
 *   token gets `429` (costing nothing) with `Retry-After` as whole seconds until a token is free,
 *   as an HTTP-date, or not at all.
 * - Optional rate-limit headers on every response: `X-RateLimit-*` (reset as seconds from now, or as
 *   epoch seconds GitHub-style with `X-RateLimit-Used`/`-Resource`) and/or the IETF
 *   `RateLimit-Policy` / `RateLimit` fields (see `rateLimitHeaders.ts` for how a bucket is reported).
 * - `setLimit(rate, burst)` changes the hidden limit at runtime.
 * - Faults on admitted requests, drawn from a seeded PRNG in arrival order (deterministic for a given
 *   request sequence): `errorRate` → `500`, `resetRate` → the socket is destroyed without a response,
 *   `latency` → the response is delayed.
 * - Routes: `GET /items?cursor=&limit=` (paginated, `next_cursor` / `has_more`), `GET /items/:id`
 *   (ETag + Last-Modified, `304` on `If-None-Match` / `If-Modified-Since`), `POST /items` (echoes the
 *   `Idempotency-Key`; a repeated key replays the first response), `GET /echo` (returns the request
 *   method, path, query and headers), `PUT /items/:id` (bumps the item's version).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SimulatedApi } from "effect-governor/testing"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const api = yield* SimulatedApi.make({ rate: 5, burst: 5, headers: { ietf: true } })
 *   const res = yield* Effect.promise(() => fetch(`${api.url}/items?limit=2`))
 *   console.log(res.status, yield* api.counters)
 * }))
 * ```
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Either, Layer, Option, Schema, type Scope } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { formatHttpDate } from "../retry/retryAfter.js"
import * as Bucket from "./hiddenBucket.js"
import { type HeaderStyle, rateLimitHeaders } from "./rateLimitHeaders.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Hidden sustained limit, requests per second. */
  readonly rate: number
  /** Hidden burst (bucket capacity). Default: `max(1, rate)`. */
  readonly burst?: number | undefined
  /** How 429s say when to come back. Default `"seconds"`. */
  readonly retryAfter?: "seconds" | "http-date" | "none" | undefined
  /** Rate-limit headers to send. Default none. */
  readonly headers?: HeaderStyle | undefined
  /** Probability in [0, 1] that an admitted request fails with 500. Default 0. */
  readonly errorRate?: number | undefined
  /** Probability in [0, 1] that an admitted request's socket is destroyed. Default 0. */
  readonly resetRate?: number | undefined
  /** Delay before each admitted response: a fixed duration, or a uniform range. Default none. */
  readonly latency?: Duration.DurationInput | {
    readonly min: Duration.DurationInput
    readonly max: Duration.DurationInput
  } | undefined
  /** Seed of the fault PRNG. Default 1. */
  readonly seed?: number | undefined
  /** Size of the `/items` collection. Default 100. */
  readonly items?: number | undefined
  /** Loopback port to listen on. Default 0 (a free port, read it from `port` / `url`). */
  readonly port?: number | undefined
  /** `max-age` (whole seconds) sent with `GET /items/:id`. Default 0: always revalidate. */
  readonly maxAge?: number | undefined
}

/**
 * @since 0.1.0
 * @category errors
 */
export class InvalidSimulatedApiOptions extends Schema.TaggedError<InvalidSimulatedApiOptions>()(
  "InvalidSimulatedApiOptions",
  { field: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `Invalid simulated API option "${this.field}": ${this.reason}`
  }
}

/**
 * The server failed to listen.
 *
 * @since 0.1.0
 * @category errors
 */
export class SimulatedApiStartError extends Schema.TaggedError<SimulatedApiStartError>()("SimulatedApiStartError", {
  reason: Schema.String
}) {}

/**
 * @since 0.1.0
 * @category models
 */
export interface PathCounters {
  readonly accepted: number
  readonly rejected429: number
  readonly errors5xx: number
  readonly resets: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Counters extends PathCounters {
  /** Every request received. */
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
  /** Change the hidden limit now (the tokens earned so far are kept, capped at the new burst). */
  readonly setLimit: (rate: number, burst?: number) => Effect.Effect<void, InvalidSimulatedApiOptions>
  readonly counters: Effect.Effect<Counters>
  /** Zero the counters, refill the bucket, restart the fault sequence and forget idempotency keys. */
  readonly reset: Effect.Effect<void>
  /** The hidden limit in force. */
  readonly limit: Effect.Effect<{ readonly rate: number; readonly burst: number }>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class SimulatedApi extends Context.Tag("effect-governor/testing/SimulatedApi")<SimulatedApi, SimulatedApiShape>() {}

// ---------------------------------------------------------------------------------------------

interface Resolved {
  readonly rate: number
  readonly burst: number
  readonly retryAfter: "seconds" | "http-date" | "none"
  readonly headers: HeaderStyle
  readonly errorRate: number
  readonly resetRate: number
  readonly latencyMin: number
  readonly latencyMax: number
  readonly seed: number
  readonly items: number
  readonly maxAge: number
  readonly port: number
}

const fail = (field: string, reason: string) => Either.left(new InvalidSimulatedApiOptions({ field, reason }))

const checkLimit = (rate: unknown, burst: unknown): Either.Either<void, InvalidSimulatedApiOptions> => {
  if (typeof rate !== "number" || !Number.isFinite(rate) || rate <= 0) return fail("rate", `expected a finite number > 0, got ${String(rate)}`)
  if (typeof burst !== "number" || !Number.isFinite(burst) || burst < 1) return fail("burst", `expected a finite number >= 1, got ${String(burst)}`)
  return Either.void
}

const toMs = (field: string, d: Duration.DurationInput): Either.Either<number, InvalidSimulatedApiOptions> => {
  const decoded = Duration.decodeUnknown(d)
  return Option.isSome(decoded) && Duration.isFinite(decoded.value)
    ? Either.right(Duration.toMillis(decoded.value))
    : fail(field, `expected a finite duration, got ${String(d)}`)
}

const probability = (field: string, p: number | undefined): Either.Either<number, InvalidSimulatedApiOptions> =>
  p === undefined ? Either.right(0) : Number.isFinite(p) && p >= 0 && p <= 1 ? Either.right(p) : fail(field, `expected a probability in [0, 1], got ${p}`)

/**
 * Validate options and fill in defaults. Pure.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolveOptions = (o: Options): Either.Either<Resolved, InvalidSimulatedApiOptions> =>
  Either.gen(function*() {
    const burst = o.burst ?? Math.max(1, o.rate)
    yield* checkLimit(o.rate, burst)
    const retryAfter = o.retryAfter ?? "seconds"
    if (!["seconds", "http-date", "none"].includes(retryAfter)) {
      return yield* fail("retryAfter", `expected "seconds", "http-date" or "none", got ${String(retryAfter)}`)
    }
    const errorRate = yield* probability("errorRate", o.errorRate)
    const resetRate = yield* probability("resetRate", o.resetRate)
    let latencyMin = 0, latencyMax = 0
    if (o.latency !== undefined) {
      if (typeof o.latency === "object" && o.latency !== null && "min" in o.latency && "max" in o.latency) {
        latencyMin = yield* toMs("latency.min", o.latency.min)
        latencyMax = yield* toMs("latency.max", o.latency.max)
        if (latencyMax < latencyMin) return yield* fail("latency.max", "must be >= latency.min")
      } else {
        latencyMin = latencyMax = yield* toMs("latency", o.latency as Duration.DurationInput)
      }
    }
    const seed = o.seed ?? 1
    if (!Number.isSafeInteger(seed)) return yield* fail("seed", `expected an integer, got ${seed}`)
    const items = o.items ?? 100
    const maxAge = o.maxAge ?? 0
    if (!Number.isSafeInteger(maxAge) || maxAge < 0) return yield* fail("maxAge", `expected whole seconds >= 0, got ${maxAge}`)
    if (!Number.isSafeInteger(items) || items < 0) return yield* fail("items", `expected a whole number >= 0, got ${items}`)
    const port = o.port ?? 0
    if (!Number.isSafeInteger(port) || port < 0 || port > 65535) return yield* fail("port", `expected a port number in [0, 65535], got ${port}`)
    return { rate: o.rate, burst, retryAfter, headers: o.headers ?? {}, errorRate, resetRate, latencyMin, latencyMax, seed, items, port, maxAge }
  })

/** mulberry32: a tiny, well-distributed 32-bit PRNG. */
const prng = (seed: number) => {
  let a = seed >>> 0
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ITEM_EPOCH = Date.UTC(2024, 0, 1)
const MAX_PAGE = 100

interface MutableCounters {
  accepted: number
  rejected429: number
  errors5xx: number
  resets: number
}

const route = (method: string, path: string): string => {
  if (path === "/items") return `${method} /items`
  if (/^\/items\/[^/]+$/.test(path)) return `${method} /items/:id`
  if (path === "/echo") return `${method} /echo`
  return `${method} *`
}

/**
 * Start the simulated API for the lifetime of the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<SimulatedApiShape, InvalidSimulatedApiOptions | SimulatedApiStartError, Scope.Scope> =>
  Effect.gen(function*() {
    const o = yield* Either.match(resolveOptions(options), { onLeft: Effect.fail, onRight: Effect.succeed })
    let bucket = Bucket.make(o.rate, o.burst, Date.now())
    let random = prng(o.seed)
    let total = 0
    let notModified = 0
    let counters: MutableCounters = { accepted: 0, rejected429: 0, errors5xx: 0, resets: 0 }
    let byPath = new Map<string, MutableCounters>()
    let idempotent = new Map<string, string>()
    const versions = new Map<number, number>()

    const count = (path: string, field: keyof MutableCounters) => {
      counters[field]++
      let c = byPath.get(path)
      if (c === undefined) {
        c = { accepted: 0, rejected429: 0, errors5xx: 0, resets: 0 }
        byPath.set(path, c)
      }
      c[field]++
    }

    const send = (
      res: http.ServerResponse,
      status: number,
      body: unknown,
      headers: Record<string, string>
    ) => {
      const text = body === undefined ? "" : JSON.stringify(body)
      res.writeHead(status, {
        ...headers,
        ...(body === undefined ? {} : { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) })
      })
      res.end(text)
    }

    const item = (id: number) => {
      const version = versions.get(id) ?? 1
      return {
        body: { id: String(id), name: `item-${id}`, version },
        etag: `"item-${id}-v${version}"`,
        lastModified: ITEM_EPOCH + (id * 60 + version) * 1000
      }
    }

    const handle = (req: http.IncomingMessage, res: http.ServerResponse, rawBody: string) => {
      const now = Date.now()
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      const method = req.method ?? "GET"
      const path = route(method, url.pathname)
      total++
      const [next, admitted] = Bucket.take(bucket, now)
      bucket = next
      const limitHeaders = rateLimitHeaders(bucket, now, o.headers)
      if (!admitted) {
        count(path, "rejected429")
        const waitMs = Bucket.msUntilToken(bucket, now)
        const ra: Record<string, string> = o.retryAfter === "seconds"
          ? { "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))) }
          : o.retryAfter === "http-date"
          ? { "retry-after": formatHttpDate(Math.ceil((now + waitMs) / 1000) * 1000 + 1000) }
          : {}
        send(res, 429, { error: "rate_limited", message: "Too Many Requests" }, { ...limitHeaders, ...ra })
        return
      }
      // Draw both faults for every admitted request so the sequence does not depend on outcomes.
      const rReset = random()
      const rError = random()
      const rLatency = random()
      if (rReset < o.resetRate) {
        count(path, "resets")
        req.socket.destroy()
        return
      }
      const delay = o.latencyMin + (o.latencyMax - o.latencyMin) * rLatency
      const respond = () => {
        if (rError < o.errorRate) {
          count(path, "errors5xx")
          send(res, 500, { error: "internal", message: "injected failure" }, limitHeaders)
          return
        }
        const [status, body, headers] = answer(method, url, req.headers, rawBody)
        if (status >= 500) count(path, "errors5xx")
        else count(path, "accepted")
        if (status === 304) notModified++
        send(res, status, body, { ...limitHeaders, ...headers })
      }
      if (delay > 0) setTimeout(respond, delay)
      else respond()
    }

    const answer = (
      method: string,
      url: URL,
      headers: http.IncomingHttpHeaders,
      rawBody: string
    ): readonly [number, unknown, Record<string, string>] => {
      const p = url.pathname
      if (p === "/echo") {
        return [200, { method, path: p, query: Object.fromEntries(url.searchParams), headers, body: rawBody || null }, {}]
      }
      if (p === "/items" && method === "GET") {
        const limitParam = url.searchParams.get("limit")
        const cursorParam = url.searchParams.get("cursor")
        const limit = limitParam === null || limitParam === "" ? 10 : Number(limitParam)
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
          return [400, { error: "bad_request", message: `limit must be an integer in [1, ${MAX_PAGE}]` }, {}]
        }
        const offset = cursorParam === null || cursorParam === "" ? 0 : Number(/^c(\d+)$/.exec(cursorParam)?.[1] ?? NaN)
        if (!Number.isSafeInteger(offset) || offset < 0) return [400, { error: "bad_request", message: "invalid cursor" }, {}]
        const end = Math.min(o.items, offset + limit)
        const results = []
        for (let i = offset; i < end; i++) results.push(item(i + 1).body)
        const hasMore = end < o.items
        return [200, { results, next_cursor: hasMore ? `c${end}` : null, has_more: hasMore }, {}]
      }
      if (p === "/items" && method === "POST") {
        const key = headers["idempotency-key"]
        const keyText = typeof key === "string" ? key : undefined
        if (keyText !== undefined) {
          const replay = idempotent.get(keyText)
          if (replay !== undefined) return [201, JSON.parse(replay), { "idempotent-replayed": "true" }]
        }
        let parsed: unknown = null
        try {
          parsed = rawBody.length > 0 ? JSON.parse(rawBody) : null
        } catch {
          return [400, { error: "bad_request", message: "body is not JSON" }, {}]
        }
        const body = { id: `new-${total}`, idempotencyKey: keyText ?? null, received: parsed }
        if (keyText !== undefined) idempotent.set(keyText, JSON.stringify(body))
        return [201, body, {}]
      }
      const m = /^\/items\/([^/]+)$/.exec(p)
      if (m !== null) {
        const id = Number(m[1])
        if (!Number.isSafeInteger(id) || id < 1 || id > o.items) return [404, { error: "not_found" }, {}]
        if (method === "PUT") {
          versions.set(id, (versions.get(id) ?? 1) + 1)
          return [200, item(id).body, { etag: item(id).etag }]
        }
        if (method !== "GET") return [405, { error: "method_not_allowed" }, {}]
        const it = item(id)
        const cache = { etag: it.etag, "last-modified": new Date(it.lastModified).toUTCString(), "cache-control": `max-age=${o.maxAge}` }
        const inm = headers["if-none-match"]
        if (typeof inm === "string") {
          const tags = inm.split(",").map((t) => t.trim().replace(/^W\//, ""))
          if (tags.includes(it.etag) || tags.includes("*")) return [304, undefined, cache]
        } else {
          const ims = headers["if-modified-since"]
          const since = typeof ims === "string" ? Date.parse(ims) : NaN
          if (Number.isFinite(since) && Math.floor(it.lastModified / 1000) * 1000 <= since) return [304, undefined, cache]
        }
        return [200, it.body, cache]
      }
      return [404, { error: "not_found" }, {}]
    }

    const server = http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => {
        chunks.push(c)
      })
      req.on("end", () => {
        try {
          handle(req, res, Buffer.concat(chunks).toString("utf8"))
        } catch {
          if (!res.headersSent) send(res, 500, { error: "internal" }, {})
        }
      })
      req.on("error", () => {})
    })
    server.keepAliveTimeout = 5_000

    const port = yield* Effect.acquireRelease(
      Effect.async<number, SimulatedApiStartError>((resume) => {
        server.once("error", (e) => resume(Effect.fail(new SimulatedApiStartError({ reason: String(e) }))))
        server.listen(o.port, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
      }),
      () =>
        Effect.async<void>((resume) => {
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
        })
    )

    return {
      url: `http://127.0.0.1:${port}`,
      port,
      setLimit: (rate, burst) =>
        Effect.suspend(() => {
          const b = burst ?? Math.max(1, rate)
          return Either.match(checkLimit(rate, b), {
            onLeft: Effect.fail,
            onRight: () =>
              Effect.sync(() => {
                bucket = Bucket.setLimit(bucket, rate, b, Date.now())
              })
          })
        }),
      counters: Effect.sync((): Counters => ({
        ...counters,
        total,
        notModified,
        byPath: Object.fromEntries([...byPath].map(([k, v]) => [k, { ...v }]))
      })),
      reset: Effect.sync(() => {
        bucket = Bucket.make(bucket.rate, bucket.burst, Date.now())
        random = prng(o.seed)
        total = 0
        notModified = 0
        counters = { accepted: 0, rejected429: 0, errors5xx: 0, resets: 0 }
        byPath = new Map()
        idempotent = new Map()
        versions.clear()
      }),
      limit: Effect.sync(() => ({ rate: bucket.rate, burst: bucket.burst }))
    }
  })

/**
 * A layer providing {@link SimulatedApi}; the server stops when the layer is released.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<SimulatedApi, InvalidSimulatedApiOptions | SimulatedApiStartError> =>
  Layer.scoped(SimulatedApi, make(options))
