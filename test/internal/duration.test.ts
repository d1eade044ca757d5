import { Duration, Option } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { decodeDuration } from "../../src/internal/duration.js"

describe("decodeDuration", () => {
  it("refuses what Duration.decodeUnknown silently turns into zero", () => {
    for (const bad of [-1, Number.NaN, -Infinity, "-5 seconds", " -1 millis", BigInt(-1), [-1, 0], [0, Number.NaN], "soon", null]) {
      expect(Option.isNone(decodeDuration(bad)), String(bad)).toBe(true)
    }
  })

  it("keeps every valid form, Infinity included", () => {
    expect(decodeDuration(250)).toEqual(Option.some(Duration.millis(250)))
    expect(decodeDuration("2 seconds")).toEqual(Option.some(Duration.seconds(2)))
    expect(Option.map(decodeDuration(BigInt(1_000_000)), Duration.toMillis)).toEqual(Option.some(1))
    expect(Option.map(decodeDuration([1, 0]), Duration.toMillis)).toEqual(Option.some(1000))
    expect(decodeDuration(Duration.minutes(1))).toEqual(Option.some(Duration.minutes(1)))
    expect(decodeDuration(Infinity)).toEqual(Option.some(Duration.infinity))
  })

  it("a number decodes to that many milliseconds exactly when it is >= 0", () => {
    fc.assert(fc.property(fc.double(), (n) => {
      const d = decodeDuration(n)
      expect(Option.isSome(d)).toBe(n >= 0)
      if (Option.isSome(d)) expect(Duration.equals(d.value, Duration.millis(n))).toBe(true)
    }))
  })
})
