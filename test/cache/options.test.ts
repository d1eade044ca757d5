import { FileSystem, HttpClientRequest } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Redacted, Schema } from "effect"
import fc from "fast-check"
import * as os from "node:os"
import * as path from "node:path"
import { makeFileStore } from "../../src/cache/FileStore.js"
import { makeMemoryStore } from "../../src/cache/MemoryStore.js"
import { resolve, type ResponseCacheOptions } from "../../src/cache/options.js"
import * as ResponseCache from "../../src/cache/ResponseCache.js"
import { ApiConfig } from "../../src/config/ApiConfig.js"

const errorOf = (options: unknown) =>
  Either.match(Effect.runSync(Effect.either(resolve(options as ResponseCacheOptions))), {
    onLeft: (e) => ({ tag: e._tag, field: e.field, reason: e.reason }),
    onRight: () => undefined
  })

const configAccepts = (cache: unknown): boolean =>
  Either.isRight(Schema.decodeUnknownEither(ApiConfig)({ name: "acme", baseUrl: "https://api.acme.test", cache }))

describe("ResponseCache options schema", () => {
  it("a bad value of each option is an InvalidCacheOptions naming the field and saying why", () => {
    const bad: ReadonlyArray<readonly [string, ResponseCacheOptions | Record<string, unknown>]> = [
      ["policy", { policy: "shared" }],
      ["policy.shared", { policy: { shared: "yes" } }],
      ["policy.cacheableMethods", { policy: { cacheableMethods: ["GET /"] } }],
      ["policy.cacheableStatuses", { policy: { cacheableStatuses: [200, 206] } }],
      ["policy.defaultTtl", { policy: { defaultTtl: "400 days" } }],
      ["policy.maxTtl", { policy: { maxTtl: -1 } }],
      ["policy.staleRetention", { policy: { staleRetention: "soon" } }],
      ["policy.allowSetCookie", { policy: { allowSetCookie: 1 } }],
      ["policy.staleWhileRevalidate", { policy: { staleWhileRevalidate: "-5 seconds" } }],
      ["policy.staleIfError", { policy: { staleIfError: Number.NaN } }],
      ["vary", { vary: ["Accept", "bad header"] }],
      ["credentialHeaders", { credentialHeaders: ["x-api-key:"] }],
      ["partition", { partition: 42 }],
      ["markerHeader", { markerHeader: true }],
      ["maxBodyBytes", { maxBodyBytes: 1.5 }],
      ["knownSecrets", { knownSecrets: [42] }],
      ["maxBackgroundRefreshes", { maxBackgroundRefreshes: 0 }]
    ]
    for (const [field, options] of bad) {
      const error = errorOf(options)
      expect(error, field).toMatchObject({ tag: "InvalidCacheOptions", field })
      expect(error?.reason.length, field).toBeGreaterThan(0)
    }
    expect(errorOf({ vary: ["Accept", "bad header"] })?.reason).toBe(
      "item 1: Expected an HTTP header name (letters, digits, \"-\"...), got \"bad header\""
    )
  })

  it.effect("a call's overrides are decoded like the cache's own: a bad one names its field, nothing is sent", () =>
    Effect.scoped(Effect.gen(function*() {
      const cache = yield* ResponseCache.make(yield* makeMemoryStore())
      const request = HttpClientRequest.get("https://api.test/items/1")
      let sent = 0
      const send = () => Effect.sync(() => sent++).pipe(Effect.andThen(Effect.die("not sent")))
      const calls: ReadonlyArray<readonly [string, ResponseCache.CachedOptions]> = [
        ["policy.defaultTtl", { policy: { defaultTtl: -5 as never } }],
        ["policy.cacheableStatuses", { policy: { cacheableStatuses: [200, 206] } }],
        ["vary", { vary: ["bad header"] }],
        ["partition", { partition: 42 as never }],
        ["knownSecrets", { knownSecrets: [42 as never] }]
      ]
      for (const [field, options] of calls) {
        const error = yield* Effect.flip(cache.cached(request, send, options))
        expect(error, field).toMatchObject({ _tag: "InvalidCacheOptions", field })
        const invalidated = yield* Effect.flip(cache.invalidate(request, options))
        expect(invalidated, field).toMatchObject({ _tag: "InvalidCacheOptions", field })
      }
      for (const concurrency of [0, 1.5, Number.NaN]) {
        const error = yield* Effect.flip(cache.prewarm([request], send, { concurrency }))
        expect(error, String(concurrency)).toMatchObject({ _tag: "InvalidCacheOptions", field: "concurrency" })
      }
      expect(sent).toBe(0)
    })))

  it("a bad known secret is refused without showing it", () => {
    const error = errorOf({ knownSecrets: ["ok", { token: "sk_live_0123456789" }] })
    expect(error?.field).toBe("knownSecrets")
    expect(JSON.stringify(error)).not.toContain("sk_live_0123456789")
    expect(errorOf({ knownSecrets: ["a", Redacted.make("b")], markerHeader: false })).toBeUndefined()
  })

  it("knownSecrets given as one secret, not a list, is refused without showing it", () => {
    for (const knownSecrets of ["sk_live_0123456789", { token: "sk_live_0123456789" }, new Set(["sk_live_0123456789"])]) {
      const error = errorOf({ knownSecrets })
      expect(error?.field).toBe("knownSecrets")
      expect(JSON.stringify(error)).not.toContain("sk_live_0123456789")
    }
  })

  it.scoped("ResponseCache.make fails with the typed error", () =>
    Effect.gen(function*() {
      const store = yield* makeMemoryStore()
      const error = yield* Effect.flip(ResponseCache.make(store, { policy: { cacheableStatuses: [304] } }))
      expect(error.field).toBe("policy.cacheableStatuses")
      expect(error.message).toBe(
        "Invalid cache option \"policy.cacheableStatuses\": item 0: status 304 cannot be cached (200-599, but not 206 or 304)"
      )
    }))

  it.effect("the stores' options: a bad value names the field", () =>
    Effect.gen(function*() {
      expect((yield* Effect.flip(makeMemoryStore({ maxEntries: 1e8 }))).field).toBe("maxEntries")
      expect((yield* Effect.flip(makeMemoryStore({ maxBytes: 2 ** 41 }))).field).toBe("maxBytes")
      const dir = path.join(os.tmpdir(), "governor-options-test")
      const file = (options: Parameters<typeof makeFileStore>[0]) =>
        Effect.flip(makeFileStore(options)).pipe(Effect.map((e) => e._tag === "InvalidCacheOptions" ? e.field : e._tag))
      expect(yield* file({ directory: "" })).toBe("directory")
      expect(yield* file({ directory: 7 as never })).toBe("directory")
      expect(yield* file({ directory: dir, memoBytes: 0.5 })).toBe("memoBytes")
      expect(yield* file({ directory: dir, abandonedTempAfter: "-5 seconds" })).toBe("abandonedTempAfter")
      // A valid set creates the store (and its directory).
      yield* makeFileStore({ directory: dir, abandonedTempAfter: "1 hour", memoBytes: 0 })
      const fs = yield* FileSystem.FileSystem
      expect(yield* fs.exists(dir)).toBe(true)
      yield* fs.remove(dir, { recursive: true })
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it("property: the options and the config's cache section accept the same sizes and durations", () => {
    const count = fc.oneof(fc.double(), fc.integer({ min: -2, max: 2 }), fc.constantFrom(1e7, 1e7 + 1, 2 ** 40, 2 ** 40 + 1))
    const millis = fc.oneof(fc.double(), fc.integer({ min: -2, max: 2 }), fc.constant(366 * 86_400_000), fc.constant(366 * 86_400_000 + 1))
    fc.assert(
      fc.property(count, count, millis, (maxEntries, maxBytes, ttl) => {
        const store = (o: { maxEntries?: number; maxBytes?: number }) =>
          Either.isRight(Effect.runSync(Effect.either(makeMemoryStore(o))))
        expect(store({ maxEntries })).toBe(configAccepts({ maxEntries }))
        expect(store({ maxBytes })).toBe(configAccepts({ maxBytes }))
        for (const name of ["defaultTtl", "staleWhileRevalidate", "staleIfError"]) {
          expect(errorOf({ policy: { [name]: ttl } }) === undefined, name).toBe(configAccepts({ [name]: ttl }))
        }
      })
    )
  })
})
