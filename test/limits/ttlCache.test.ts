import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as TtlCache from "../../src/limits/ttlCache.js"

describe("TtlCache", () => {
  it.effect("answers every key of a lookup even when its capacity is below the keys asked for", () =>
    Effect.gen(function*() {
      const cache = TtlCache.make<string>({ ttlMs: 1_000, capacity: 1 })
      const values = yield* cache.get(["a", "b", "c"], (keys) => Effect.succeed(keys.map((k) => k.toUpperCase())))
      expect(values).toEqual(["A", "B", "C"])
      expect((yield* cache.stats).size).toBe(1)
    }))
})
