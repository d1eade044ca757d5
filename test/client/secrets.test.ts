/**
 * The client's token stays hidden in what the client produces beyond its own log lines: spans, the
 * program's own log lines, errors returned to the caller.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, HashMap, Logger, LogLevel, Redacted, Scope } from "effect"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import * as ResilientClient from "../../src/client/ResilientClient.js"
import * as RedactingLogger from "../../src/logging/RedactingLogger.js"
import { collectingTracer } from "../metrics/tracer.js"
import { startServer } from "./server.js"

const TOKEN = "tok_Hd83kQz1Wm5Xp0Lv7Rc2Yb9Nf4"

const build = (baseUrl: string, extra: Record<string, unknown> = {}) =>
  Effect.flatMap(
    ApiConfig.decode({ name: "secrets", baseUrl, retry: { maxRetries: 0 }, ...extra }),
    (c) => ResilientClient.make(c, { token: Redacted.make(TOKEN) })
  )

const capture = (lines: Array<string>) =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ annotations, message }) => {
      lines.push(`${JSON.stringify(message)} ${JSON.stringify(Object.fromEntries(HashMap.toEntries(annotations)))}`)
    })
  )

describe("ResilientClient secrets", () => {
  it.scopedLive("spans mask the configured token as the log lines do", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 200, body: {} }))
      const { spans, tracer } = collectingTracer()
      const lines: Array<string> = []
      yield* Effect.gen(function*() {
        const governed = yield* build(server.url)
        yield* governed.client.get(`/hooks/${TOKEN}/run`)
      }).pipe(Effect.withTracer(tracer), Effect.provide(capture(lines)), Logger.withMinimumLogLevel(LogLevel.Debug))
      expect(server.seen[0]?.url).toBe(`/hooks/${TOKEN}/run`)
      expect(spans.map((s) => s.name)).toEqual(["governor.request", "GET"])
      for (const span of spans) {
        expect(span.attributes.get("url.path")).toBe("/hooks/[REDACTED]/run")
        expect(span.attributes.get("url.full")).toBe(`${server.url}/hooks/[REDACTED]/run`)
      }
      expect(lines.join("\n")).toContain("/hooks/[REDACTED]/run")
      expect(lines.join("\n")).not.toContain(TOKEN)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("the token is a known secret of the program's own log lines while the client is open", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 200, body: {} }))
      const lines: Array<string> = []
      const logger = RedactingLogger.layer({ sink: (line) => lines.push(line) })
      const clientScope = yield* Scope.make()
      yield* Effect.gen(function*() {
        yield* build(server.url).pipe(Scope.extend(clientScope))
        yield* Effect.logWarning(`retrying with ${TOKEN} later`)
        yield* Scope.close(clientScope, Exit.void)
        yield* Effect.logWarning(`after close ${TOKEN}`)
      }).pipe(Effect.provide(logger))
      expect(lines[0]).toContain("retrying with [REDACTED] later")
      // registered for the client's lifetime only
      expect(lines[1]).toContain(`after close ${TOKEN}`)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
