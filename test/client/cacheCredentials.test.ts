import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, HashMap, Logger, LogLevel, Option, Redacted } from "effect"
import * as ResponseCache from "../../src/cache/ResponseCache.js"
import { makeMemoryStore } from "../../src/cache/MemoryStore.js"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import * as ResilientClient from "../../src/client/ResilientClient.js"
import { type Reply, startServer } from "./server.js"

const ok = (body: unknown): Reply => ({ status: 200, body, headers: { "cache-control": "max-age=60" } })

/** Every log line (message and annotations) written while `effect` runs, at debug. */
const captureLines = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const capture = Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ annotations, message }) => {
        lines.push(`${JSON.stringify(message)} ${JSON.stringify(Object.fromEntries(HashMap.toEntries(annotations)))}`)
      })
    )
    const result = yield* effect.pipe(Effect.provide(capture), Logger.withMinimumLogLevel(LogLevel.Debug))
    return { result, log: lines.join("\n") }
  })

describe("credential headers: one list for the cache and the logger", () => {
  it.scopedLive("x-goog-api-key and a logging.redactHeaders name separate users in the cache and are masked in logs", () =>
    Effect.gen(function*() {
      const server = yield* startServer((req) =>
        ok({ goog: req.headers["x-goog-api-key"] ?? null, tenant: req.headers["x-tenant"] ?? null })
      )
      const config = yield* ApiConfig.decode({
        name: "creds",
        baseUrl: server.url,
        cache: { enabled: true },
        logging: { redactHeaders: ["X-Tenant"] }
      })
      const alice = "alice-goog-key-0123456789abcdef"
      const bob = "bob-goog-key-fedcba9876543210"
      const { log, result } = yield* captureLines(Effect.gen(function*() {
        const client = (yield* ResilientClient.make(config)).client
        const get = (headers: Record<string, string>) =>
          Effect.flatMap(client.get("/me", { headers }), (r) => r.json)
        return [
          yield* get({ "x-goog-api-key": alice }),
          yield* get({ "x-goog-api-key": bob }),
          yield* get({ "x-tenant": "tenant-alice-000111" }),
          // A per-request signature is masked in logs (substring rule) but does not split the cache.
          yield* get({ "x-tenant": "tenant-bob-222333444", "x-request-signature": "sig-one-aaaaaaaa" }),
          yield* get({ "x-tenant": "tenant-bob-222333444", "x-request-signature": "sig-two-bbbbbbbb" })
        ]
      }))
      expect(result).toEqual([
        { goog: alice, tenant: null },
        { goog: bob, tenant: null },
        { goog: null, tenant: "tenant-alice-000111" },
        { goog: null, tenant: "tenant-bob-222333444" },
        { goog: null, tenant: "tenant-bob-222333444" }
      ])
      expect(server.seen.length).toBe(4)
      expect(log).toContain("x-goog-api-key")
      expect(log).toContain("x-request-signature")
      for (const secret of [alice, bob, "tenant-alice-000111", "tenant-bob-222333444", "sig-one-aaaaaaaa"]) {
        expect(log).not.toContain(secret)
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a response echoing the client's token is never stored, in its own cache or a provided one", () =>
    Effect.gen(function*() {
      const token = "tok_echo_5f0c1d2e3a4b5c6d7e8f9a0b"
      const server = yield* startServer((req) => ok({ you: req.headers["authorization"] ?? null }))
      const config = yield* ApiConfig.decode({ name: "echo", baseUrl: server.url, cache: { enabled: true } })
      const own = yield* ResilientClient.make(config, { token: Redacted.make(token) })
      // A cache built elsewhere (as one on the Redis store would be) and provided to the client.
      const shared = yield* ResponseCache.make(yield* makeMemoryStore())
      const provided = yield* ResilientClient.make(config, { token: Redacted.make(token) }).pipe(
        Effect.provideService(ResponseCache.ResponseCache, shared)
      )
      for (const client of [own, provided]) {
        for (let i = 0; i < 2; i++) {
          const response = yield* client.client.get("/me")
          expect(yield* response.json).toEqual({ you: `Bearer ${token}` })
          expect(Option.isNone(ResponseCache.cacheStatus(response))).toBe(true)
        }
        expect((yield* client.cache!.stats).entries).toBe(0)
      }
      expect(server.seen.length).toBe(4)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(Logger.minimumLogLevel(LogLevel.None))))
})
