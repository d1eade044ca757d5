import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, Scope } from "effect"
import { SimulatedApi } from "../../src/testing/index.js"

const get = (url: string, init?: RequestInit) =>
  Effect.promise(async () => {
    const res = await fetch(url, init)
    const text = await res.text()
    return { status: res.status, headers: res.headers, body: text.length > 0 ? JSON.parse(text) : undefined }
  })

const burstOf = (url: string, n: number) => Effect.forEach(Array.from({ length: n }), () => get(url), { concurrency: n })

describe("SimulatedApi", () => {
  it.live("admits the burst, then 429 with Retry-After seconds and IETF + X-RateLimit headers", () =>
    Effect.gen(function*() {
      const api = yield* SimulatedApi.make({ rate: 1, burst: 3, headers: { ietf: true, xRateLimit: "delta" } })
      const rs = yield* burstOf(`${api.url}/items/1`, 5)
      const statuses = rs.map((r) => r.status).sort()
      expect(statuses).toEqual([200, 200, 200, 429, 429])
      const rejected = rs.find((r) => r.status === 429)!
      expect(rejected.headers.get("retry-after")).toBe("1")
      expect(rejected.headers.get("ratelimit-policy")).toBe('"default";q=3;w=3')
      expect(rejected.headers.get("ratelimit")).toMatch(/^"default";r=0;t=[1-3]$/)
      expect(rejected.headers.get("x-ratelimit-limit")).toBe("3")
      expect(rejected.headers.get("x-ratelimit-remaining")).toBe("0")
      const c = yield* api.counters
      expect(c).toMatchObject({ total: 5, accepted: 3, rejected429: 2 })
      expect(c.byPath["GET /items/:id"]).toEqual({ accepted: 3, rejected429: 2, errors5xx: 0, resets: 0 })
    }).pipe(Effect.scoped))

  it.live("Retry-After as HTTP-date, or none", () =>
    Effect.gen(function*() {
      const a = yield* SimulatedApi.make({ rate: 1, burst: 1, retryAfter: "http-date" })
      const [, r] = yield* Effect.all([get(`${a.url}/echo`), get(`${a.url}/echo`)])
      expect(r.status).toBe(429)
      const at = Date.parse(r.headers.get("retry-after")!)
      expect(at - Date.now()).toBeGreaterThan(0)
      expect(at - Date.now()).toBeLessThan(3000)
      const b = yield* SimulatedApi.make({ rate: 1, burst: 1, retryAfter: "none" })
      const [, r2] = yield* Effect.all([get(`${b.url}/echo`), get(`${b.url}/echo`)])
      expect(r2.status).toBe(429)
      expect(r2.headers.get("retry-after")).toBeNull()
    }).pipe(Effect.scoped))

  it.live("GitHub-style epoch reset with Used and Resource", () =>
    Effect.gen(function*() {
      const api = yield* SimulatedApi.make({ rate: 10, burst: 10, headers: { xRateLimit: "epoch" } })
      const r = yield* get(`${api.url}/items`)
      expect(r.headers.get("x-ratelimit-used")).toBe("1")
      expect(r.headers.get("x-ratelimit-resource")).toBe("core")
      expect(Number(r.headers.get("x-ratelimit-reset"))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000))
    }).pipe(Effect.scoped))

  it.live("limit changes at runtime", () =>
    Effect.gen(function*() {
      const api = yield* SimulatedApi.make({ rate: 1, burst: 1 })
      expect((yield* burstOf(`${api.url}/echo`, 4)).filter((r) => r.status === 200)).toHaveLength(1)
      yield* api.setLimit(1000, 20)
      expect(yield* api.limit).toEqual({ rate: 1000, burst: 20 })
      yield* Effect.sleep("30 millis")
      expect((yield* burstOf(`${api.url}/echo`, 10)).every((r) => r.status === 200)).toBe(true)
      const bad = yield* Effect.either(api.setLimit(-1))
      expect(Either.isLeft(bad) && bad.left.field).toBe("rate")
    }).pipe(Effect.scoped))

  it.live("injected 5xx and socket resets are deterministic for a seed; reset restarts the sequence", () =>
    Effect.gen(function*() {
      const outcomes = (url: string) =>
        Effect.forEach(Array.from({ length: 40 }), () =>
          Effect.promise(() =>
            fetch(`${url}/echo`, { headers: { connection: "close" } }).then((r) => r.status, () => -1)
          ))
      const a = yield* SimulatedApi.make({ rate: 1e6, burst: 1e6, errorRate: 0.2, resetRate: 0.1, seed: 42 })
      const b = yield* SimulatedApi.make({ rate: 1e6, burst: 1e6, errorRate: 0.2, resetRate: 0.1, seed: 42 })
      const c = yield* SimulatedApi.make({ rate: 1e6, burst: 1e6, errorRate: 0.2, resetRate: 0.1, seed: 7 })
      const oa = yield* outcomes(a.url)
      expect(yield* outcomes(b.url)).toEqual(oa)
      expect(yield* outcomes(c.url)).not.toEqual(oa)
      expect(oa.filter((s) => s === 500).length).toBeGreaterThan(0)
      expect(oa.filter((s) => s === -1).length).toBeGreaterThan(0)
      const ca = yield* a.counters
      expect(ca.errors5xx).toBe(oa.filter((s) => s === 500).length)
      expect(ca.resets).toBe(oa.filter((s) => s === -1).length)
      yield* a.reset
      expect((yield* a.counters).total).toBe(0)
      expect(yield* outcomes(a.url)).toEqual(oa)
    }).pipe(Effect.scoped))

  it.live("slow responses", () =>
    Effect.gen(function*() {
      const api = yield* SimulatedApi.make({ rate: 100, latency: "80 millis" })
      const start = Date.now()
      yield* get(`${api.url}/echo`)
      expect(Date.now() - start).toBeGreaterThanOrEqual(75)
    }).pipe(Effect.scoped))

  it.live("JSON routes: pagination, ETag/Last-Modified 304, Idempotency-Key echo and replay, echo", () =>
    Effect.gen(function*() {
      const api = yield* SimulatedApi.make({ rate: 1000, burst: 1000, items: 25 })
      const ids: Array<string> = []
      let cursor = ""
      for (;;) {
        const page = yield* get(`${api.url}/items?limit=10&cursor=${cursor}`)
        ids.push(...page.body.results.map((i: { id: string }) => i.id))
        if (!page.body.has_more) {
          expect(page.body.next_cursor).toBeNull()
          break
        }
        cursor = page.body.next_cursor
      }
      expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => String(i + 1)))
      expect((yield* get(`${api.url}/items?limit=0`)).status).toBe(400)

      const one = yield* get(`${api.url}/items/3`)
      const etag = one.headers.get("etag")!
      expect((yield* get(`${api.url}/items/3`, { headers: { "if-none-match": etag } })).status).toBe(304)
      const lm = one.headers.get("last-modified")!
      expect((yield* get(`${api.url}/items/3`, { headers: { "if-modified-since": lm } })).status).toBe(304)
      yield* get(`${api.url}/items/3`, { method: "PUT" })
      expect((yield* get(`${api.url}/items/3`, { headers: { "if-none-match": etag } })).status).toBe(200)
      expect((yield* get(`${api.url}/items/99`)).status).toBe(404)

      const post = (key: string, body: unknown) =>
        get(`${api.url}/items`, { method: "POST", headers: { "idempotency-key": key, "content-type": "application/json" }, body: JSON.stringify(body) })
      const p1 = yield* post("k-1", { a: 1 })
      expect(p1.status).toBe(201)
      expect(p1.body).toMatchObject({ idempotencyKey: "k-1", received: { a: 1 } })
      const p2 = yield* post("k-1", { a: 2 })
      expect(p2.body).toEqual(p1.body)
      expect(p2.headers.get("idempotent-replayed")).toBe("true")

      const echo = yield* get(`${api.url}/echo?x=1`, { headers: { "x-probe": "yes" } })
      expect(echo.body).toMatchObject({ method: "GET", path: "/echo", query: { x: "1" } })
      expect(echo.body.headers["x-probe"]).toBe("yes")
      expect((yield* api.counters).notModified).toBe(2)
    }).pipe(Effect.scoped))

  it.live("closes the server when the scope closes; rejects bad options with a typed error", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const api = yield* SimulatedApi.make({ rate: 10 }).pipe(Scope.extend(scope))
      expect((yield* get(`${api.url}/echo`)).status).toBe(200)
      yield* Scope.close(scope, Exit.void)
      const after = yield* Effect.promise(() => fetch(`${api.url}/echo`).then(() => "up", () => "down"))
      expect(after).toBe("down")
      const bad = yield* Effect.either(Effect.scoped(SimulatedApi.make({ rate: 10, errorRate: 2 })))
      expect(Either.isLeft(bad) && bad.left._tag === "InvalidSimulatedApiOptions" && bad.left.field).toBe("errorRate")
    }))
})
