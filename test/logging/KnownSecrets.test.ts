import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import * as KnownSecrets from "../../src/logging/KnownSecrets.js"
import * as RedactingLogger from "../../src/logging/RedactingLogger.js"

const SECRET = "kn0wn-Vq7Zt2Lm9Xc4"

describe("KnownSecrets", () => {
  it.effect("a registered secret is masked by every redacting logger until its last scope closes", () =>
    Effect.gen(function*() {
      // The logger layer is built before any registration: it follows later changes.
      const lines: Array<string> = []
      const logger = RedactingLogger.layer({ sink: (l) => lines.push(l) })
      const format = () => {
        Effect.runSync(Effect.logWarning(`calling with ${SECRET}`).pipe(Effect.provide(logger)))
        return lines[lines.length - 1]!
      }
      expect(format()).toContain(SECRET)
      const a = yield* Scope.make()
      const b = yield* Scope.make()
      yield* KnownSecrets.register(SECRET).pipe(Scope.extend(a))
      yield* KnownSecrets.register(SECRET).pipe(Scope.extend(b))
      expect(KnownSecrets.current()).toContain(SECRET)
      expect(format()).not.toContain(SECRET)
      expect(format()).toContain("[REDACTED]")
      yield* Scope.close(a, Exit.void)
      // still registered through b
      expect(format()).not.toContain(SECRET)
      yield* Scope.close(b, Exit.void)
      expect(KnownSecrets.current()).not.toContain(SECRET)
      expect(format()).toContain(SECRET)
    }))

  it.effect("too short a value is not registered", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      yield* KnownSecrets.register("abc").pipe(Scope.extend(scope))
      expect(KnownSecrets.current()).not.toContain("abc")
      yield* Scope.close(scope, Exit.void)
    }))
})
