import { FetchHttpClient, HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Fiber, Layer, Option, TestClock } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { CacheStoreError } from "../../src/cache/CacheStore.js"
import type { CacheStore } from "../../src/cache/CacheStore.js"
import { makeMemoryStore } from "../../src/cache/MemoryStore.js"
import * as ResponseCache from "../../src/cache/ResponseCache.js"
import { startServer } from "./server.js"

let root: string
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "egc-response-cache-"))
})
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true })
})

const send = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.flatMap(HttpClient.HttpClient, (client) => client.execute(request))

const status = (r: HttpClientResponse.HttpClientResponse) => Option.getOrUndefined(ResponseCache.cacheStatus(r))

/** A memory-backed cache and a loopback server; the body and marker of each call. */
const setup = (options: ResponseCache.ResponseCacheOptions = {}) =>
  Effect.gen(function*() {
    const server = yield* startServer
    const cache = yield* ResponseCache.make(yield* makeMemoryStore(), options)
    const get = (p: string, headers: Record<string, string> = {}) =>
      Effect.gen(function*() {
        const response = yield* cache.cached(HttpClientRequest.get(server.url(p), { headers }), send)
        const body = yield* response.text
        return { body, status: status(response), header: response.headers["x-cache"], response }
      })
    return { server, cache, get }
  })

const live = <A, E>(self: Effect.Effect<A, E, HttpClient.HttpClient | import("effect").Scope.Scope>) =>
  self.pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer))

describe("ResponseCache against a loopback server", () => {
  it.effect("serves a fresh hit without calling upstream and honours max-age", () =>
    live(Effect.gen(function*() {
      const { get, server, cache } = yield* setup()
      const first = yield* get("/maxage")
      expect(first).toMatchObject({ body: "n1", status: "MISS", header: "MISS" })
      yield* TestClock.adjust(Duration.millis(4_999))
      expect(yield* get("/maxage")).toMatchObject({ body: "n1", status: "HIT", header: "HIT" })
      expect(server.count("/maxage")).toBe(1)
      yield* TestClock.adjust(Duration.millis(1))
      expect(yield* get("/maxage")).toMatchObject({ body: "n2", status: "MISS" })
      expect(server.count("/maxage")).toBe(2)
      expect(yield* cache.stats).toMatchObject({ hits: 1, misses: 2, entries: 1 })
    })))

  it.effect("revalidates a stale ETag entry with If-None-Match; a 304 refreshes it", () =>
    live(Effect.gen(function*() {
      const { get, server } = yield* setup()
      expect(yield* get("/etag")).toMatchObject({ body: "v1", status: "MISS" })
      yield* TestClock.adjust(Duration.seconds(11))
      expect(yield* get("/etag")).toMatchObject({ body: "v1", status: "REVALIDATED", header: "REVALIDATED" })
      expect(server.lastHeaders("/etag")?.["if-none-match"]).toBe("\"v1\"")
      expect(server.notModified("/etag")).toBe(1)
      // The 304 made it fresh again for max-age=10.
      yield* TestClock.adjust(Duration.seconds(9))
      expect(yield* get("/etag")).toMatchObject({ body: "v1", status: "HIT" })
      expect(server.count("/etag")).toBe(2)
      // A changed representation comes back as a full 200 and replaces the entry.
      server.version = 2
      yield* TestClock.adjust(Duration.seconds(2))
      expect(yield* get("/etag")).toMatchObject({ body: "v2", status: "MISS" })
      expect(yield* get("/etag")).toMatchObject({ body: "v2", status: "HIT" })
      expect(server.notModified("/etag")).toBe(1)
    })))

  it.effect("revalidates no-cache + Last-Modified on every use with If-Modified-Since", () =>
    live(Effect.gen(function*() {
      const { get, server } = yield* setup()
      expect(yield* get("/lm")).toMatchObject({ body: "lm1", status: "MISS" })
      expect(yield* get("/lm")).toMatchObject({ body: "lm1", status: "REVALIDATED" })
      expect(yield* get("/lm")).toMatchObject({ body: "lm1", status: "REVALIDATED" })
      expect(server.lastHeaders("/lm")?.["if-modified-since"]).toBe(new Date(Date.UTC(2025, 0, 1)).toUTCString())
      expect(server.count("/lm")).toBe(3)
      expect(server.notModified("/lm")).toBe(2)
    })))

  it.effect("partitions by credential: two tokens never see each other's responses", () =>
    live(Effect.gen(function*() {
      const { get, server, cache } = yield* setup()
      const alice = { authorization: "Bearer alice-secret" }
      const bob = { authorization: "Bearer bob-secret" }
      expect(yield* get("/whoami", alice)).toMatchObject({ body: "hello Bearer alice-secret", status: "MISS" })
      expect(yield* get("/whoami", bob)).toMatchObject({ body: "hello Bearer bob-secret", status: "MISS" })
      expect(yield* get("/whoami")).toMatchObject({ body: "hello anonymous", status: "MISS" })
      expect(yield* get("/whoami", alice)).toMatchObject({ body: "hello Bearer alice-secret", status: "HIT" })
      expect(yield* get("/whoami", bob)).toMatchObject({ body: "hello Bearer bob-secret", status: "HIT" })
      expect(yield* get("/whoami", { "X-API-Key": "k1" })).toMatchObject({ status: "MISS" })
      expect(yield* get("/whoami", { "X-API-Key": "k2" })).toMatchObject({ status: "MISS" })
      expect(server.count("/whoami")).toBe(5)
      const key = Option.getOrThrow(cache.keyFor(HttpClientRequest.get(server.url("/whoami"), { headers: alice })))
      expect(key.includes("alice")).toBe(false)
      expect(yield* cache.invalidate(HttpClientRequest.get(server.url("/whoami"), { headers: alice }))).toBe(true)
      expect(yield* get("/whoami", alice)).toMatchObject({ status: "MISS" })
    })))

  it.effect("does not store no-store, Set-Cookie, or private in a shared cache; passes them through untouched", () =>
    live(Effect.gen(function*() {
      const { get, server, cache } = yield* setup({ policy: { shared: true } })
      for (const p of ["/nostore", "/cookie", "/private"]) {
        const a = yield* get(p)
        const b = yield* get(p)
        expect([a.body, b.body], p).toEqual(["n1", "n2"])
        expect([a.status, b.status, a.header], p).toEqual([undefined, undefined, undefined])
        expect(server.count(p)).toBe(2)
      }
      expect((yield* cache.stats).entries).toBe(0)
    })))

  it.effect("stores private in a private cache and Set-Cookie when allowed", () =>
    live(Effect.gen(function*() {
      const { get } = yield* setup({ policy: { allowSetCookie: true } })
      yield* get("/private")
      expect(yield* get("/private")).toMatchObject({ body: "n1", status: "HIT" })
      yield* get("/cookie")
      const hit = yield* get("/cookie")
      expect(hit).toMatchObject({ body: "n1", status: "HIT" })
      expect(hit.response.headers["set-cookie"]).toBeDefined()
    })))

  it.effect("single flight: N concurrent identical GETs make exactly one upstream request", () =>
    live(Effect.gen(function*() {
      const { get, server, cache } = yield* setup()
      const results = yield* Effect.all(Array.from({ length: 20 }, () => get("/slow")), { concurrency: "unbounded" })
      expect(server.count("/slow")).toBe(1)
      expect(new Set(results.map((r) => r.body))).toEqual(new Set(["slow n1"]))
      expect(results.filter((r) => r.status === "MISS")).toHaveLength(1)
      expect(results.filter((r) => r.status === "COALESCED")).toHaveLength(19)
      expect(yield* get("/slow")).toMatchObject({ status: "HIT", body: "slow n1" })
      expect(server.count("/slow")).toBe(1)
      expect(yield* cache.stats).toMatchObject({ misses: 1, coalesced: 19, hits: 1 })
    })))

  it.effect("counts every answer once, by the status it leaves with (waiters sending their own request too)", () =>
    live(Effect.gen(function*() {
      const { get, server, cache } = yield* setup()
      const statuses: Array<string | undefined> = []
      const answer = (p: string) => Effect.map(get(p), (r) => statuses.push(r.status))
      yield* answer("/maxage")
      yield* answer("/maxage")
      yield* answer("/etag")
      yield* TestClock.adjust(Duration.seconds(11))
      yield* answer("/etag")
      yield* Effect.all(Array.from({ length: 5 }, () => answer("/slow")), { concurrency: "unbounded" })
      // Not storable, so not shared: the leader passes it through, each waiter sends its own.
      yield* Effect.all(Array.from({ length: 4 }, () => answer("/slow-nostore")), { concurrency: "unbounded" })
      expect(server.count("/slow-nostore")).toBe(4)
      const of = (s: string | undefined) => statuses.filter((x) => x === s).length
      const stats = yield* cache.stats
      expect(stats).toMatchObject({
        hits: of("HIT"),
        misses: of("MISS") + of(undefined),
        notModified: of("REVALIDATED"),
        coalesced: of("COALESCED"),
        bypassed: 0
      })
      expect(stats.hits + stats.misses + stats.notModified + stats.coalesced).toBe(statuses.length)
      expect([of("HIT"), of("MISS"), of(undefined), of("REVALIDATED"), of("COALESCED")]).toEqual([1, 3, 4, 1, 4])
    })))

  it.effect("Vary: a stored variant is only served to a request with the same header values", () =>
    live(Effect.gen(function*() {
      const { get, server } = yield* setup()
      expect(yield* get("/vary", { accept: "application/json" })).toMatchObject({ status: "MISS" })
      expect(yield* get("/vary", { accept: "application/json" })).toMatchObject({ status: "HIT" })
      expect(yield* get("/vary", { accept: "text/html" })).toMatchObject({ body: "text/html n2", status: "MISS" })
      expect(yield* get("/vary", { accept: "text/html" })).toMatchObject({ body: "text/html n2", status: "HIT" })
      expect(server.count("/vary")).toBe(2)
    })))

  it.effect("configured vary headers keep variants side by side", () =>
    live(Effect.gen(function*() {
      const { get, server } = yield* setup({ vary: ["Accept"] })
      yield* get("/vary", { accept: "a/json" })
      yield* get("/vary", { accept: "text/html" })
      expect(yield* get("/vary", { accept: "a/json" })).toMatchObject({ body: "a/json n1", status: "HIT" })
      expect(yield* get("/vary", { accept: "text/html" })).toMatchObject({ body: "text/html n2", status: "HIT" })
      expect(server.count("/vary")).toBe(2)
    })))

  it.effect("cached bodies stay readable (json, arrayBuffer), 204 and 404 are cached, 500 is not", () =>
    live(Effect.gen(function*() {
      const { server, cache } = yield* setup()
      const req = HttpClientRequest.get(server.url("/json"))
      const miss = yield* cache.cached(req, send)
      expect(yield* miss.json).toEqual({ n: 1 })
      const hit = yield* cache.cached(req, send)
      expect(hit.request).toBe(req)
      expect(yield* hit.json).toEqual({ n: 1 })
      expect(hit.headers["content-type"]).toBe("application/json")
      const empty1 = yield* cache.cached(HttpClientRequest.get(server.url("/empty")), send)
      const empty2 = yield* cache.cached(HttpClientRequest.get(server.url("/empty")), send)
      expect([empty1.status, empty2.status, status(empty2)]).toEqual([204, 204, "HIT"])
      const nf = yield* cache.cached(HttpClientRequest.get(server.url("/nope")), send)
      expect(nf.status).toBe(404)
      expect(status(yield* cache.cached(HttpClientRequest.get(server.url("/nope")), send))).toBe("HIT")
      yield* cache.cached(HttpClientRequest.get(server.url("/error")), send)
      const e2 = yield* cache.cached(HttpClientRequest.get(server.url("/error")), send)
      expect([e2.status, status(e2), yield* e2.text]).toEqual([500, undefined, "error n2"])
    })))

  it.effect("bypasses POST and requests with their own validators", () =>
    live(Effect.gen(function*() {
      const { server, cache } = yield* setup()
      yield* cache.cached(HttpClientRequest.post(server.url("/maxage")), send)
      yield* cache.cached(HttpClientRequest.post(server.url("/maxage")), send)
      const own = yield* cache.cached(HttpClientRequest.get(server.url("/etag"), { headers: { "if-none-match": "\"v1\"" } }), send)
      expect(own.status).toBe(304)
      expect(server.count("/maxage")).toBe(2)
      expect((yield* cache.stats).bypassed).toBe(3)
    })))

  it.effect("prewarm fills the cache so later calls hit", () =>
    live(Effect.gen(function*() {
      const { get, server, cache } = yield* setup()
      const sent: Array<string> = []
      const report = yield* cache.prewarm(
        ["/maxage", "/json", "/nostore"].map((p) => HttpClientRequest.get(server.url(p))),
        (r) => Effect.zipRight(Effect.sync(() => sent.push(r.url)), send(r))
      )
      expect(report).toMatchObject({ requested: 3, fetched: 2, alreadyFresh: 0, notCacheable: 1, failures: [] })
      expect(sent).toHaveLength(3)
      expect(yield* get("/json")).toMatchObject({ status: "HIT" })
      expect(yield* get("/maxage")).toMatchObject({ status: "HIT" })
      const again = yield* cache.prewarm([HttpClientRequest.get(server.url("/json"))], send)
      expect(again.alreadyFresh).toBe(1)
      expect(server.count("/json")).toBe(1)
    })))

  it.effect("a file-backed cache survives across service instances", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const directory = path.join(root, "shared")
      const layer = ResponseCache.layerFileSystem({ directory }).pipe(Layer.provide(NodeFileSystem.layer))
      const call = ResponseCache.cached(HttpClientRequest.get(server.url("/whoami"), { headers: { authorization: "Bearer t" } }), send)
      const first = yield* call.pipe(Effect.provide(layer))
      const second = yield* call.pipe(Effect.provide(layer))
      expect([status(first), status(second)]).toEqual(["MISS", "HIT"])
      expect(yield* second.text).toBe("hello Bearer t")
      expect(server.count("/whoami")).toBe(1)
      // The credential never reaches the disk in clear text.
      for (const f of fs.readdirSync(directory)) {
        expect(fs.readFileSync(path.join(directory, f)).includes("Bearer t\"")).toBe(false)
      }
    }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer)))
})

describe("ResponseCache single flight without a network", () => {
  const ok = (request: HttpClientRequest.HttpClientRequest) =>
    Effect.sync(() =>
      HttpClientResponse.fromWeb(request, new Response("made", { status: 200, headers: { "cache-control": "max-age=60" } }))
    )

  it.scoped("a fresh immutable entry answers a reload (no-cache) without revalidation (RFC 8246)", () =>
    Effect.gen(function*() {
      const cache = yield* ResponseCache.make(yield* makeMemoryStore())
      let calls = 0
      const upstream = (request: HttpClientRequest.HttpClientRequest) =>
        Effect.sync(() => {
          calls++
          const cc = request.url.endsWith("/immutable") ? "max-age=60, immutable" : "max-age=60"
          return HttpClientResponse.fromWeb(request, new Response(`n${calls}`, { headers: { "cache-control": cc, etag: "\"e\"" } }))
        })
      const reload = { headers: { "cache-control": "no-cache" } }
      for (const p of ["/immutable", "/mutable"]) {
        yield* cache.cached(HttpClientRequest.get(`http://127.0.0.1:9${p}`), upstream)
      }
      const immutable = yield* cache.cached(HttpClientRequest.get("http://127.0.0.1:9/immutable", reload), upstream)
      expect([status(immutable), calls]).toEqual(["HIT", 2])
      const mutable = yield* cache.cached(HttpClientRequest.get("http://127.0.0.1:9/mutable", reload), upstream)
      expect([status(mutable), calls]).toEqual(["MISS", 3])
      // Once stale, immutable means nothing: the reload revalidates.
      yield* TestClock.adjust(Duration.seconds(61))
      yield* cache.cached(HttpClientRequest.get("http://127.0.0.1:9/immutable", reload), upstream)
      expect(calls).toBe(4)
    }))

  it.scoped("a failure of the leader reaches every waiter, with one upstream call", () =>
    Effect.gen(function*() {
      const cache = yield* ResponseCache.make(yield* makeMemoryStore())
      const gate = yield* Deferred.make<void>()
      let calls = 0
      const failing = (_: HttpClientRequest.HttpClientRequest) =>
        Effect.gen(function*() {
          calls++
          yield* Deferred.await(gate)
          return yield* Effect.fail("upstream down" as const)
        })
      const req = HttpClientRequest.get("http://127.0.0.1:9/x")
      const fibers = yield* Effect.forEach(Array.from({ length: 5 }), () => Effect.fork(cache.cached(req, failing)))
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
      yield* Deferred.succeed(gate, void 0)
      const errors = yield* Effect.forEach(fibers, (f) => Effect.flip(Fiber.join(f)))
      expect(errors).toEqual(Array(5).fill("upstream down"))
      expect(calls).toBe(1)
    }))

  it.scoped("interrupting the leader does not hang the waiters: one of them takes over", () =>
    Effect.gen(function*() {
      const cache = yield* ResponseCache.make(yield* makeMemoryStore())
      let calls = 0
      const sendOnce = (request: HttpClientRequest.HttpClientRequest) =>
        Effect.suspend(() => (++calls === 1 ? Effect.never : ok(request)))
      const req = HttpClientRequest.get("http://127.0.0.1:9/y")
      const leader = yield* Effect.fork(cache.cached(req, sendOnce))
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
      const waiters = yield* Effect.forEach(Array.from({ length: 4 }), () => Effect.fork(cache.cached(req, sendOnce)))
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
      expect(calls).toBe(1)
      yield* Fiber.interrupt(leader)
      const responses = yield* Effect.forEach(waiters, Fiber.join)
      expect(calls).toBe(2)
      expect(responses.map(status).sort()).toEqual(["COALESCED", "COALESCED", "COALESCED", "MISS"])
      expect(yield* Effect.forEach(responses, (r) => r.text)).toEqual(Array(4).fill("made"))
    }))

  it.scoped("a failing store degrades to misses and never fails the request", () =>
    Effect.gen(function*() {
      const boom = (operation: string) => Effect.fail(new CacheStoreError({ store: "broken", operation, reason: "disk on fire" }))
      const broken: CacheStore = {
        name: "broken",
        get: () => boom("get"),
        set: () => boom("set"),
        delete: () => boom("delete"),
        clear: boom("clear"),
        cleanupExpired: boom("cleanup"),
        stats: Effect.succeed({ hits: 0, misses: 0, hitRate: 0, entries: 0, bytes: 0, evictions: 0, expirations: 0, corrupt: 0, unreadable: 0 })
      }
      const cache = yield* ResponseCache.make(broken)
      const req = HttpClientRequest.get("http://127.0.0.1:9/z")
      const response = yield* cache.cached(req, ok)
      expect([status(response), yield* response.text]).toEqual(["MISS", "made"])
      expect((yield* cache.stats).storeErrors).toBe(3) // lookup, leader re-check, write
      expect((yield* Effect.flip(cache.clear))._tag).toBe("CacheStoreError")
    }))

  it.scoped("rejects invalid options with a typed error", () =>
    Effect.gen(function*() {
      const store = yield* makeMemoryStore()
      expect((yield* Effect.flip(ResponseCache.make(store, { markerHeader: "bad header" }))).field).toBe("markerHeader")
      expect((yield* Effect.flip(ResponseCache.make(store, { maxBodyBytes: 0 }))).field).toBe("maxBodyBytes")
      expect((yield* Effect.flip(ResponseCache.make(store, { policy: { cacheableStatuses: [304] } }))).field)
        .toBe("policy.cacheableStatuses")
    }))
})

