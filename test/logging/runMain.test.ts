import { describe, expect, it } from "@effect/vitest"
import { Effect, FiberRef, HashSet, Logger } from "effect"
import * as RedactingLogger from "../../src/logging/RedactingLogger.js"

describe("RedactingLogger.layer under NodeRuntime.runMain", () => {
  it.effect("removes the unredacted pretty logger that runMain installs", () =>
    Effect.gen(function*() {
      const loggers = yield* FiberRef.get(FiberRef.currentLoggers).pipe(
        Effect.provide(RedactingLogger.layer()),
        // what `runMain` does before running the program
        Effect.locally(FiberRef.currentLoggers, HashSet.make(Logger.defaultLogger, Logger.prettyLoggerDefault))
      )
      expect(HashSet.has(loggers, Logger.prettyLoggerDefault)).toBe(false)
      expect(HashSet.has(loggers, Logger.defaultLogger)).toBe(false)
      // what remains: the redacting logger and the redacting wrapper of the tracer logger
      expect(HashSet.size(loggers)).toBe(2)
    }))
})
