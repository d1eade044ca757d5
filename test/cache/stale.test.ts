/**
 * RFC 5861 against a loopback server, time on `TestClock`: stale-while-revalidate (answer at once,
 * refresh in the background: single flight, bounded, failures logged) and stale-if-error (answer
 * from the stale entry when the request fails), from the response's directives or the policy's
 * defaults, never against must-revalidate / no-cache or for a request asking for revalidation.
 */
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Deferred, Duration, Effect, Fiber, Logger, LogLevel, Option, type Scope, TestClock } from "effect"
import { CircuitOpenError } from "../../src/breaker/errors.js"
import { makeMemoryStore } from "../../src/cache/MemoryStore.js"
import * as ResponseCache from "../../src/cache/ResponseCache.js"
import { startServer } from "./server.js"

const send = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.flatMap(HttpClient.HttpClient, (client) => client.execute(request))

interface Line {
  readonly level: string
  readonly message: unknown
  readonly annotations: Record<string, unknown>
}

const setup = (options: ResponseCache.ResponseCacheOptions = {}) =>
  Effect.gen(function*() {
    const server = yield* startServer
    const cache = yield* ResponseCache.make(yield* makeMemoryStore(), options)
    const call = (
      p: string,
      via: ResponseCache.Send<unknown, HttpClient.HttpClient> = send,
      headers: Record<string, string> = {}
    ) =>
      Effect.gen(function*() {
        const response = yield* cache.cached(HttpClientRequest.get(server.url(p), { headers }), via)
        return {
          body: yield* response.text,
          code: response.status,
          status: Option.getOrUndefined(ResponseCache.cacheStatus(response)),
          reason: Option.getOrUndefined(ResponseCache.staleReason(response)),
          hit: ResponseCache.countsAsHit(response),
          header: response.headers["x-cache"]
        }
      })
    const get = (p: string, headers: Record<string, string> = {}) => call(p, send, headers)
    /** Waits until the entry of `p` is fresh again (a background refresh stored it). */
    const refreshed = (p: string) =>
      until(() =>
        Effect.gen(function*() {
          const entry = yield* cache.get(Option.getOrThrow(cache.keyFor(HttpClientRequest.get(server.url(p)))))
          const now = yield* Clock.currentTimeMillis
          return Option.isSome(entry) && now < entry.value.expiresAt
        })
      )
    return { server, cache, get, call, refreshed }
  })

/** Waits (in real time: the refresh is real I/O) until `done` holds. */
const until = <E>(done: () => Effect.Effect<boolean, E>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 400; i++) {
      if (yield* done()) return
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 5)))
    }
    throw new Error("condition not reached")
  })

const live = <A, E>(self: Effect.Effect<A, E, HttpClient.HttpClient | Scope.Scope>, lines?: Array<Line>) =>
  self.pipe(
    Effect.scoped,
    Effect.provide(FetchHttpClient.layer),
    Effect.provide(
      Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ annotations, logLevel, message }) => {
          lines?.push({ level: logLevel.label, message, annotations: Object.fromEntries(annotations) })
        })
      )
    ),
    Logger.withMinimumLogLevel(LogLevel.Debug)
  )

describe("stale-while-revalidate", () => {
  it.effect("answers from the stale entry at once and refreshes it in the background", () => {
    const lines: Array<Line> = []
    return live(
      Effect.gen(function*() {
        const { cache, get, refreshed, server } = yield* setup()
        expect(yield* get("/stale/swr")).toMatchObject({ body: "n1", status: "MISS", hit: false })
        yield* TestClock.adjust(Duration.seconds(6))
        expect(yield* get("/stale/swr")).toMatchObject({
          body: "n1",
          status: "STALE",
          header: "STALE",
          reason: "while-revalidate",
          hit: true
        })
        yield* refreshed("/stale/swr")
        expect(server.count("/stale/swr")).toBe(2)
        expect(yield* get("/stale/swr")).toMatchObject({ body: "n2", status: "HIT", hit: true })
        // Three answers, each counted once: the refresh answered nobody, so it is no miss. The stale
        // answer came from the store: a hit for the hit rate.
        expect(yield* cache.stats).toMatchObject({
          misses: 1,
          staleWhileRevalidate: 1,
          hits: 1,
          notModified: 0,
          hitRate: 2 / 3,
          refreshes: 1,
          refreshFailures: 0
        })
        const line = lines.find((l) => l.annotations["cache"] === "stale")
        expect(line).toMatchObject({ level: "DEBUG", annotations: { stale: "while-revalidate", staleForMs: 1000 } })
        // `cache=stale` is an answer from a stale entry, nothing else.
        expect(lines.filter((l) => l.annotations["cache"] === "stale")).toHaveLength(1)
      }),
      lines
    )
  })

  it.effect("single flight: concurrent stale hits start one refresh", () =>
    live(Effect.gen(function*() {
      const { cache, get, refreshed, server } = yield* setup()
      yield* get("/stale/swr")
      yield* TestClock.adjust(Duration.seconds(6))
      const results = yield* Effect.all(Array.from({ length: 10 }, () => get("/stale/swr")), { concurrency: "unbounded" })
      expect(results.every((r) => r.status === "STALE" && r.body === "n1")).toBe(true)
      yield* refreshed("/stale/swr")
      // Let any (wrong) second refresh reach the server before counting.
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 50)))
      expect(server.count("/stale/swr")).toBe(2)
      expect(yield* cache.stats).toMatchObject({ refreshes: 1, staleWhileRevalidate: 10, misses: 1 })
    })))

  it.effect("is bounded: past maxBackgroundRefreshes a stale entry is served and its refresh skipped", () =>
    live(Effect.gen(function*() {
      const { cache, get, server } = yield* setup({ maxBackgroundRefreshes: 1 })
      yield* get("/stale/swr")
      yield* get("/stale/both")
      yield* TestClock.adjust(Duration.seconds(6))
      const [a, b] = yield* Effect.all([get("/stale/swr"), get("/stale/both")])
      expect([a.status, b.status]).toEqual(["STALE", "STALE"])
      yield* until(() => Effect.succeed(server.count("/stale/swr") + server.count("/stale/both") === 3))
      expect(yield* cache.stats).toMatchObject({ refreshes: 1, refreshesSkipped: 1, staleWhileRevalidate: 2 })
      expect(server.count("/stale/swr") + server.count("/stale/both")).toBe(3)
    })))

  it.effect("past its window the request waits for upstream", () =>
    live(Effect.gen(function*() {
      const { get } = yield* setup()
      yield* get("/stale/swr")
      yield* TestClock.adjust(Duration.seconds(5 + 30))
      expect(yield* get("/stale/swr")).toMatchObject({ body: "n2", status: "MISS" })
    })))

  it.effect("a failed refresh is logged (no URL, no credential) and counted; the entry keeps serving", () => {
    const lines: Array<Line> = []
    return live(
      Effect.gen(function*() {
        const { cache, get, server } = yield* setup()
        const auth = { authorization: "Bearer swr-secret-token" }
        yield* get("/stale/swr", auth)
        yield* TestClock.adjust(Duration.seconds(6))
        server.failing = 503
        expect(yield* get("/stale/swr", auth)).toMatchObject({ body: "n1", status: "STALE" })
        yield* until(() => Effect.map(cache.stats, (s) => s.refreshFailures === 1))
        const failed = lines.find((l) => l.annotations["refresh"] === "failed")
        expect(failed).toMatchObject({ level: "WARN", annotations: { cache: "refresh", reason: "status 503" } })
        expect(JSON.stringify(lines)).not.toContain("swr-secret-token")
        expect(JSON.stringify(lines)).not.toContain("/stale/swr")
      }),
      lines
    )
  })

  it.effect("a request asking for revalidation (no-cache) is never answered stale", () =>
    live(Effect.gen(function*() {
      const { get, server } = yield* setup()
      yield* get("/stale/both")
      yield* TestClock.adjust(Duration.seconds(6))
      expect(yield* get("/stale/both", { "cache-control": "no-cache" })).toMatchObject({ body: "n2", status: "MISS" })
      server.failing = 500
      yield* TestClock.adjust(Duration.seconds(6))
      expect(yield* get("/stale/both", { "cache-control": "no-cache" })).toMatchObject({ code: 500, status: undefined })
    })))
})

describe("why the cache sends", () => {
  it.effect("each request it sends says so: miss, revalidate, refresh (background), bypass", () =>
    live(Effect.gen(function*() {
      const { cache, call, server } = yield* setup()
      const sent: Array<readonly [string, ResponseCache.SendReason, boolean]> = []
      const via: ResponseCache.Send<unknown, HttpClient.HttpClient> = (request, reason) =>
        Effect.zipRight(
          Effect.sync(() => sent.push([new URL(request.url).pathname, reason, request.headers["if-none-match"] !== undefined])),
          send(request)
        )
      yield* call("/stale/swr", via)
      yield* call("/stale/sie", via)
      yield* TestClock.adjust(Duration.seconds(6))
      expect(yield* call("/stale/swr", via)).toMatchObject({ status: "STALE", reason: "while-revalidate" })
      yield* until(() => Effect.succeed(sent.length === 3))
      expect(yield* call("/stale/sie", via)).toMatchObject({ status: "MISS" })
      yield* cache.cached(HttpClientRequest.post(server.url("/stale/post")), via)
      expect(sent).toEqual([
        ["/stale/swr", "miss", false],
        ["/stale/sie", "miss", false],
        ["/stale/swr", "refresh", true],
        ["/stale/sie", "revalidate", true],
        ["/stale/post", "bypass", false]
      ])
    })))
})

describe("stale-if-error", () => {
  for (const failing of [500, 503, 429, "reset"] as const) {
    it.effect(`answers from the stale entry when upstream fails (${failing})`, () => {
      const lines: Array<Line> = []
      return live(
        Effect.gen(function*() {
          const { cache, get, server } = yield* setup()
          yield* get("/stale/sie")
          yield* TestClock.adjust(Duration.seconds(6))
          server.failing = failing
          expect(yield* get("/stale/sie")).toMatchObject({ body: "n1", status: "STALE", reason: "if-error", hit: true })
          expect(server.count("/stale/sie")).toBe(2)
          // One answer, counted once: the failed attempt behind it is not also a miss.
          expect(yield* cache.stats).toMatchObject({ misses: 1, staleIfError: 1, revalidations: 1, hitRate: 1 / 2 })
          const line = lines.find((l) => l.annotations["cache"] === "stale")
          expect(line).toMatchObject({ level: "INFO", annotations: { stale: "if-error", staleForMs: 1000 } })
        }),
        lines
      )
    })
  }

  for (const failing of [503, "reset"] as const) {
    it.effect(`under an outage, one flight per key answers every waiter from the stale entry (${failing})`, () =>
      live(Effect.gen(function*() {
        const { cache, call, get, server } = yield* setup()
        yield* get("/stale/sie")
        yield* TestClock.adjust(Duration.seconds(6))
        server.failing = failing
        const gate = yield* Deferred.make<void>()
        const gated: ResponseCache.Send<unknown, HttpClient.HttpClient> = (request) =>
          Effect.zipRight(Deferred.await(gate), send(request))
        const fiber = yield* Effect.fork(
          Effect.all(Array.from({ length: 5 }, () => call("/stale/sie", gated)), { concurrency: "unbounded" })
        )
        for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
        yield* Deferred.succeed(gate, void 0)
        const answers = yield* Fiber.join(fiber)
        expect(answers.map((a) => [a.status, a.reason, a.body])).toEqual(Array(5).fill(["STALE", "if-error", "n1"]))
        // The leader's failed request answers all five: no waiter sends its own.
        expect(server.count("/stale/sie")).toBe(2)
        expect(yield* cache.stats).toMatchObject({ staleIfError: 5, revalidations: 1 })
      })))
  }

  it.effect("answers at once when the inner steps fail without calling upstream (circuit open)", () =>
    live(Effect.gen(function*() {
      const { call, get, server } = yield* setup()
      yield* get("/stale/sie")
      yield* TestClock.adjust(Duration.seconds(6))
      const open = () =>
        Effect.fail(new CircuitOpenError({ name: "api", state: "open", halfOpenAt: 0, remaining: Duration.seconds(30) }))
      expect(yield* call("/stale/sie", open)).toMatchObject({ body: "n1", status: "STALE", reason: "if-error" })
      expect(server.count("/stale/sie")).toBe(1)
    })))

  it.effect("past its window the failure reaches the caller", () =>
    live(Effect.gen(function*() {
      const { call, get, server } = yield* setup()
      yield* get("/stale/sie")
      yield* TestClock.adjust(Duration.seconds(5 + 60))
      server.failing = 500
      expect(yield* get("/stale/sie")).toMatchObject({ code: 500, status: undefined, body: "failing n2" })
      const down = () => Effect.fail("down" as const)
      expect(yield* Effect.flip(call("/stale/sie", down))).toBe("down")
    })))

  it.effect("a success is served as usual, replacing the stale entry", () =>
    live(Effect.gen(function*() {
      const { get } = yield* setup()
      yield* get("/stale/sie")
      yield* TestClock.adjust(Duration.seconds(6))
      expect(yield* get("/stale/sie")).toMatchObject({ body: "n2", status: "MISS" })
      expect(yield* get("/stale/sie")).toMatchObject({ body: "n2", status: "HIT" })
    })))
})

describe("stale defaults from the policy", () => {
  it.effect("apply to responses that state none, never against must-revalidate or no-cache", () =>
    live(Effect.gen(function*() {
      const { get, server } = yield* setup({
        policy: { staleIfError: Duration.seconds(30), staleWhileRevalidate: Duration.zero }
      })
      for (const p of ["/stale/plain", "/stale/must-revalidate", "/stale/no-cache"]) yield* get(p)
      yield* TestClock.adjust(Duration.seconds(6))
      server.failing = 500
      expect(yield* get("/stale/plain")).toMatchObject({ body: "n1", status: "STALE", reason: "if-error" })
      // Both are kept (they carry an ETag) and revalidated; a failing revalidation is not hidden.
      expect(yield* get("/stale/must-revalidate")).toMatchObject({ code: 500, status: undefined })
      expect(yield* get("/stale/no-cache")).toMatchObject({ code: 500, status: undefined })
    })))

  it.effect("off by default: a stale entry without directives is not served on error", () =>
    live(Effect.gen(function*() {
      const { get, server } = yield* setup()
      yield* get("/stale/plain")
      yield* TestClock.adjust(Duration.seconds(6))
      server.failing = 503
      expect(yield* get("/stale/plain")).toMatchObject({ code: 503, status: undefined })
    })))

  it.effect("a stale-while-revalidate default serves at once and refreshes", () =>
    live(Effect.gen(function*() {
      const { get, refreshed } = yield* setup({ policy: { staleWhileRevalidate: Duration.seconds(10) } })
      yield* get("/stale/plain")
      yield* TestClock.adjust(Duration.seconds(6))
      expect(yield* get("/stale/plain")).toMatchObject({ body: "n1", status: "STALE", reason: "while-revalidate" })
      yield* refreshed("/stale/plain")
      expect(yield* get("/stale/plain")).toMatchObject({ body: "n2", status: "HIT" })
    })))
})
