/**
 * No credential reaches a cache store: `Vary`-selected request headers are stored as fingerprints, and
 * a response containing a known secret is never stored. Checked on the raw contents of the memory,
 * file and Redis stores.
 */
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted, type Scope } from "effect"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import type { CacheStore } from "../../src/cache/CacheStore.js"
import { makeFileStore } from "../../src/cache/FileStore.js"
import { makeMemoryStore } from "../../src/cache/MemoryStore.js"
import * as ResponseCache from "../../src/cache/ResponseCache.js"
import { makeCacheStore } from "../../src/redis/cacheStore.js"
import * as Redis from "../../src/redis/Redis.js"
import { skipRedis } from "../redis/server.js"
import { rawClient, scopedRedisServer, uniquePrefix } from "../redis/util.js"

/** Routes that select variants by, or echo, request credentials. */
const startServer = Effect.acquireRelease(
  Effect.async<{ server: http.Server; url: string; count: Map<string, number> }>((resume) => {
    const count = new Map<string, number>()
    const server = http.createServer((req, res) => {
      const p = new URL(req.url ?? "/", "http://x").pathname
      count.set(p, (count.get(p) ?? 0) + 1)
      const auth = req.headers["authorization"] ?? ""
      const send = (status: number, headers: Record<string, string>, body = "") => {
        res.writeHead(status, headers)
        res.end(body)
      }
      switch (p) {
        case "/vary-auth":
          return send(200, { "cache-control": "max-age=60", vary: "Authorization" }, "private data")
        case "/vary-session":
          return send(200, { "cache-control": "max-age=60", vary: "X-Session-Token" }, `n${count.get(p)}`)
        case "/echo-body":
          return send(200, { "cache-control": "max-age=60" }, JSON.stringify({ you: auth }))
        case "/echo-header":
          return send(200, { "cache-control": "max-age=60", "x-echo": auth }, "ok")
        case "/reval":
          // The 304 echoes the credential in a header: the refreshed entry must not be stored.
          return req.headers["if-none-match"] === "\"v1\""
            ? send(304, { etag: "\"v1\"", "cache-control": "no-cache", "x-echo": auth })
            : send(200, { etag: "\"v1\"", "cache-control": "no-cache" }, "reval body")
        default:
          return send(404, {})
      }
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resume(Effect.succeed({ server, url: `http://127.0.0.1:${port}`, count }))
    })
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
)

const highEntropy = (prefix: string) => prefix + randomBytes(24).toString("hex")
const status = (r: { readonly status: number } & object) =>
  Option.getOrUndefined(ResponseCache.cacheStatus(r as never))

/** Every 8-character substring of `secret` found in `text` (what a partial leak would look like). */
const leaks = (text: string, secret: string): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; i + 8 <= secret.length; i++) if (text.includes(secret.slice(i, i + 8))) out.push(secret.slice(i, i + 8))
  return out
}

/**
 * Runs the requests through a cache on `store`, checks what was (not) stored, then searches the
 * store's raw contents (`dump`) for the credentials.
 */
const scenario = (store: CacheStore, dump: (keys: ReadonlyArray<string>) => Effect.Effect<string, unknown, Scope.Scope>) =>
  Effect.gen(function*() {
    const server = yield* startServer
    const token = highEntropy("tok_")
    const other = highEntropy("tok_")
    const sessions = [highEntropy("ses_"), highEntropy("ses_")] as const
    const cache = yield* ResponseCache.make(store, { knownSecrets: [Redacted.make(token)] })
    const client = yield* HttpClient.HttpClient
    const keys: Array<string> = []
    const get = (p: string, headers: Record<string, string>) =>
      Effect.gen(function*() {
        const request = HttpClientRequest.get(server.url + p, { headers })
        keys.push(Option.getOrThrow(cache.keyFor(request)))
        const response = yield* cache.cached(request, client.execute)
        return { status: status(response), body: yield* response.text }
      })
    const bearer = { authorization: `Bearer ${token}` }

    // Vary: Authorization (the key partitions by it too): a hit for the same token, a miss for another.
    expect(yield* get("/vary-auth", bearer)).toEqual({ status: "MISS", body: "private data" })
    expect((yield* get("/vary-auth", bearer)).status).toBe("HIT")
    expect((yield* get("/vary-auth", { authorization: `Bearer ${other}` })).status).toBe("MISS")
    // Vary on a header the key does not partition by: only the stored fingerprint tells the variants apart.
    expect(yield* get("/vary-session", { "x-session-token": sessions[0] })).toEqual({ status: "MISS", body: "n1" })
    expect(yield* get("/vary-session", { "x-session-token": sessions[0] })).toEqual({ status: "HIT", body: "n1" })
    expect(yield* get("/vary-session", { "x-session-token": sessions[1] })).toEqual({ status: "MISS", body: "n2" })
    expect(yield* get("/vary-session", { "x-session-token": sessions[1] })).toEqual({ status: "HIT", body: "n2" })
    // A response carrying the known token (body or header) reaches the caller but is never stored.
    for (const p of ["/echo-body", "/echo-header"]) {
      const first = yield* get(p, bearer)
      expect(first.status, p).toBeUndefined()
      expect((yield* get(p, bearer)).status, p).toBeUndefined()
      expect(server.count.get(p), p).toBe(2)
    }
    expect((yield* get("/echo-body", bearer)).body).toBe(JSON.stringify({ you: `Bearer ${token}` }))
    // A 304 echoing it: served once (REVALIDATED), the refreshed entry is not kept.
    expect(yield* get("/reval", bearer)).toEqual({ status: "MISS", body: "reval body" })
    expect(yield* get("/reval", bearer)).toEqual({ status: "REVALIDATED", body: "reval body" })
    expect(Option.isNone(yield* cache.get(keys[keys.length - 1]!))).toBe(true)
    expect((yield* cache.stats).notStored).toBe(6)

    const raw = yield* dump(keys)
    expect(raw).toContain("private data") // the dump does see stored entries
    for (const secret of [token, other, ...sessions]) expect(leaks(raw, secret)).toEqual([])
  })

/** Entries as the memory store holds them (objects in this process), read back by key. */
const memoryDump = (store: CacheStore) => (keys: ReadonlyArray<string>) =>
  Effect.map(
    Effect.forEach(keys, (k) => store.get(k)),
    (entries) =>
      JSON.stringify(entries.flatMap(Option.toArray).map((e) => ({ ...e, body: new TextDecoder().decode(e.body) })))
  )

const live = <A, E>(self: Effect.Effect<A, E, HttpClient.HttpClient | Scope.Scope>) =>
  self.pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer))

describe("no credential in a cache store", () => {
  it.live("memory store", () =>
    live(Effect.gen(function*() {
      const store = yield* makeMemoryStore()
      yield* scenario(store, memoryDump(store))
    })))

  it.live("file store: entry files", () =>
    live(Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "egc-secrets-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      const store = yield* makeFileStore({ directory: dir }).pipe(Effect.provide(NodeFileSystem.layer))
      yield* scenario(store, () =>
        Effect.sync(() => fs.readdirSync(dir).map((n) => fs.readFileSync(path.join(dir, n)).toString("latin1")).join("\n")))
    })))

  describe.skipIf(skipRedis)("Redis store", () => {
    it.live("values", () =>
      live(Effect.gen(function*() {
        const server = yield* scopedRedisServer()
        const prefix = uniquePrefix("secrets")
        const ctx = yield* Layer.build(Redis.layer({ url: server.url, prefix }))
        const store = yield* makeCacheStore().pipe(Effect.provide(ctx))
        const client = yield* rawClient(server.url)
        yield* scenario(store, () =>
          Effect.promise(async () => {
            const names = await client.keys("*")
            const values = await Promise.all(names.map((n) => client.getBuffer(n)))
            return names.join("\n") + values.map((v) => v?.toString("latin1") ?? "").join("\n")
          }))
      })))
  })
})
