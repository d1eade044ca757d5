/**
 * Absolute URLs through the composed client: accepted on baseUrl's origin (pagination links), refused
 * elsewhere before anything is sent, without showing userinfo.
 */
import { HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, HashMap, Logger, LogLevel, Redacted } from "effect"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import * as ResilientClient from "../../src/client/ResilientClient.js"
import { startServer } from "./server.js"

const TOKEN = "tok_Zq81mXv3Lp0Rw7Ks5Ty2Nb9Hc4"

const build = (baseUrl: string, extra: Record<string, unknown> = {}) =>
  Effect.flatMap(
    ApiConfig.decode({ name: "urls", baseUrl, retry: { maxRetries: 0 }, ...extra }),
    (c) => ResilientClient.make(c, { token: Redacted.make(TOKEN) })
  )

const capture = (lines: Array<string>) =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ annotations, cause, message }) => {
      lines.push(`${JSON.stringify(message)} ${JSON.stringify(Object.fromEntries(HashMap.toEntries(annotations)))} ${String(cause)}`)
    })
  )

describe("ResilientClient URLs", () => {
  it.scopedLive("an absolute URL on baseUrl's origin is sent as it is, with the token", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 200, body: {} }))
      const governed = yield* build(`${server.url}/v1`)
      const response = yield* governed.client.get(`${server.url}/v1/items?cursor=abc`)
      expect(response.status).toBe(200)
      expect(server.seen[0]?.url).toBe("/v1/items?cursor=abc")
      expect(server.seen[0]?.headers["authorization"]).toBe(`Bearer ${TOKEN}`)
      yield* governed.client.get("/items")
      expect(server.seen[1]?.url).toBe("/v1/items")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Logger.withMinimumLogLevel(LogLevel.None)))

  it.scopedLive("another origin, userinfo, or a path that changes the host are refused before sending", () =>
    Effect.gen(function*() {
      const api = yield* startServer(() => ({ status: 200, body: {} }))
      const other = yield* startServer(() => ({ status: 200, body: {} }))
      const otherPort = new URL(other.url).port
      const lines: Array<string> = []
      const errors = yield* Effect.gen(function*() {
        const governed = yield* build(api.url)
        return yield* Effect.all([
          Effect.flip(governed.client.get(`${other.url}/x`)),
          Effect.flip(governed.client.get(`http://user:pw-0hQ2xV9@127.0.0.1:${otherPort}/x`)),
          Effect.flip(governed.client.get(`${api.url.replace("http://", "http://user:pw-0hQ2xV9@")}/x`)),
          // "http://127.0.0.1:<api>" + "@127.0.0.1:<other>/x": the host is the other server
          Effect.flip(governed.client.get(`@127.0.0.1:${otherPort}/x`))
        ])
      }).pipe(Effect.provide(capture(lines)), Logger.withMinimumLogLevel(LogLevel.Debug))
      expect(errors.map((e) => e._tag)).toEqual(["RefusedUrl", "RefusedUrl", "RefusedUrl", "RefusedUrl"])
      expect(errors.map((e) => (e as ResilientClient.RefusedUrl).reason)).toEqual([
        "ForeignOrigin",
        "Credentials",
        "Credentials",
        "Credentials"
      ])
      expect((errors[0] as ResilientClient.RefusedUrl).origin).toBe(other.url)
      expect((errors[0] as ResilientClient.RefusedUrl).allowed).toBe(api.url)
      expect(ResilientClient.isGovernorError(errors[0])).toBe(true)
      expect(other.seen.length).toBe(0)
      expect(api.seen.length).toBe(0)
      const shown = [...errors.map((e) => `${e.message} ${JSON.stringify(e)} ${String(e)}`), ...lines].join("\n")
      expect(shown).not.toContain("pw-0hQ2xV9")
      expect(shown).not.toContain(TOKEN)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("prewarm refuses another origin too, and reports redacted requests", () =>
    Effect.gen(function*() {
      const api = yield* startServer(() => ({ status: 200, body: {}, headers: { "cache-control": "max-age=60" } }))
      const other = yield* startServer(() => ({ status: 200, body: {} }))
      const governed = yield* build(api.url, { cache: { enabled: true } })
      const report = yield* governed.prewarm([HttpClientRequest.get(`${other.url}/x`), HttpClientRequest.get("/y")])
      expect(report?.fetched).toBe(1)
      expect(report?.failures.map((f) => (f.error as { _tag: string })._tag)).toEqual(["RefusedUrl"])
      expect(report?.failures[0]?.request.headers["authorization"]).toBe("Bearer [REDACTED]")
      expect(JSON.stringify(report)).not.toContain(TOKEN)
      expect(other.seen.length).toBe(0)
      expect(api.seen.map((s) => s.url)).toEqual(["/y"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Logger.withMinimumLogLevel(LogLevel.None)))
})
