import { describe, expect, it } from "vitest"
import * as WallShare from "../../src/adaptive/wallShare.js"

const tallied = (answers: ReadonlyArray<readonly [number, boolean]>) =>
  answers.reduce((t, [sentAt, rejected]) => WallShare.record(t, sentAt, rejected), WallShare.open(1000, 1400))

describe("wallShare", () => {
  it("counts only the answers of requests sent within the wall's round trip", () => {
    const t = tallied([[999, true], [1000, true], [1200, false], [1399, false], [1400, true]])
    expect(t).toMatchObject({ n: 3, k: 1 })
  })

  it("bounds the rate from above by what the share admitted, once most of the round trip answered", () => {
    // 40 sent in 0.4 s (100/s), half rejected: a rate of 50, read a standard error high.
    const half = tallied(Array.from({ length: 36 }, (_, i) => [1000 + i * 10, i % 2 === 0] as const))
    const b = WallShare.bound(half, 40)!
    expect(b).toBeGreaterThan(50)
    expect(b).toBeLessThan(70)
    // Fewer than 80% answered: no reading yet.
    expect(WallShare.bound(tallied(Array.from({ length: 20 }, (_, i) => [1000 + i * 10, i % 2 === 0] as const)), 40)).toBeUndefined()
  })

  it("reads nothing from a window's share, a log saying less than answered, or too few answers", () => {
    const all = tallied(Array.from({ length: 36 }, (_, i) => [1000 + i * 10, i % 4 !== 0] as const))
    expect(WallShare.bound(all, 40)).toBeUndefined()
    const some = tallied(Array.from({ length: 12 }, (_, i) => [1000 + i * 10, i % 3 === 0] as const))
    expect(WallShare.bound(some, 5)).toBeUndefined()
    const few = tallied(Array.from({ length: 8 }, (_, i) => [1000 + i * 10, i % 3 === 0] as const))
    expect(WallShare.bound(few, 8)).toBeUndefined()
  })

  it("takes a malformed stored tally for none", () => {
    expect(WallShare.sane({ from: 2, to: 1, n: 0, k: 0 })).toBe(false)
    expect(WallShare.sane({ from: 1, to: 2, n: 1, k: 2 })).toBe(false)
    expect(WallShare.sane({ from: 1, to: 2, n: Number.NaN, k: 0 })).toBe(false)
    expect(WallShare.sane(WallShare.open(1, 2))).toBe(true)
  })
})
