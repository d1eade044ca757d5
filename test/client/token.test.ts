/**
 * A configured credential that is missing fails client construction (naming the variable) instead of
 * sending unauthenticated requests; `auth.optional` allows none.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Logger, LogLevel } from "effect"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import * as ResilientClient from "../../src/client/ResilientClient.js"
import { presetNames, presets } from "../../src/config/presets.js"
import { startServer } from "./server.js"

const env = (vars: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(vars))))

const tasks = (baseUrl: string, auth: Record<string, unknown>) =>
  Effect.flatMap(ApiConfig.decode({ name: "tasks", baseUrl, auth }), (c) => ResilientClient.make(c))

describe("ResilientClient token", () => {
  it.scopedLive("an unset or empty token variable fails construction with MissingToken naming it", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 200, body: {} }))
      const unset = yield* Effect.flip(tasks(server.url, { scheme: "bearer", env: "TASKS_TOKEN" }).pipe(env({})))
      expect(unset._tag).toBe("MissingToken")
      expect(unset._tag).not.toBe("InvalidConfig")
      expect(unset).toMatchObject({ api: "tasks", variable: "TASKS_TOKEN", reason: "Unset" })
      expect(unset.message).toContain("TASKS_TOKEN")
      const empty = yield* Effect.flip(tasks(server.url, { scheme: "bearer", env: "TASKS_TOKEN" }).pipe(env({ TASKS_TOKEN: " " })))
      expect(empty).toMatchObject({ _tag: "MissingToken", reason: "Empty" })
      // without auth.env, the documented default variable
      const byDefault = yield* Effect.flip(tasks(server.url, { scheme: "header", header: "X-Key" }).pipe(env({})))
      expect(byDefault).toMatchObject({ _tag: "MissingToken", variable: "GOVERNOR_TASKS_TOKEN" })
      expect(server.seen.length).toBe(0)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Logger.withMinimumLogLevel(LogLevel.None)))

  it.scopedLive("a set variable is sent; auth.optional sends no credential when it is unset", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 200, body: {} }))
      const set = yield* tasks(server.url, { scheme: "bearer", env: "TASKS_TOKEN" }).pipe(env({ TASKS_TOKEN: "tk-123456789" }))
      yield* set.client.get("/a")
      expect(server.seen[0]?.headers["authorization"]).toBe("Bearer tk-123456789")
      const byDefault = yield* tasks(server.url, { scheme: "header", header: "X-Key" }).pipe(
        env({ GOVERNOR_TASKS_TOKEN: "tk-default-1" })
      )
      yield* byDefault.client.get("/b")
      expect(server.seen[1]?.headers["x-key"]).toBe("tk-default-1")
      const optional = yield* tasks(server.url, { scheme: "bearer", env: "TASKS_TOKEN", optional: true }).pipe(env({}))
      yield* optional.client.get("/c")
      expect(server.seen[2]?.headers["authorization"]).toBeUndefined()
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Logger.withMinimumLogLevel(LogLevel.None)))

  it.scopedLive("every preset builds a client when its variable is set, and names it when it is not", () =>
    Effect.gen(function*() {
      for (const name of presetNames) {
        const variable = presets[name]!.auth!.env!
        const built = yield* ResilientClient.makeFor(name).pipe(env({ [variable]: "preset-token-123" }))
        expect(built.config.name).toBe(name)
        const missing = yield* Effect.flip(ResilientClient.makeClientFor(name).pipe(env({})))
        expect(missing).toMatchObject({ _tag: "MissingToken", variable })
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Logger.withMinimumLogLevel(LogLevel.None)))
})
