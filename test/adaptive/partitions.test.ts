import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Aimd from "../../src/adaptive/aimd.js"
import * as Partitions from "../../src/adaptive/partitions.js"
import { prop } from "./prop.js"

const NOW = 1_700_000_000_000

describe("header quotas per partition key", () => {
  it("a reading from one partition does not erase a tighter one still in force", () => {
    const c = Aimd.defaultConfig(10)
    // Partition "aaaa0001" allows 5 per 10 s, "bbbb0002" 90 per 10 s.
    const info = (partition: string, limit: number) =>
      ({ limit, window: 10_000, remaining: limit, resetAt: NOW + 10_000, partition, source: "ietf" as const })
    const a = Aimd.onHeaders(c, Aimd.initial(c), info("aaaa0001", 5), NOW)
    expect(a.rate).toBeCloseTo(0.4)
    const b = Aimd.onHeaders(c, a, info("bbbb0002", 90), NOW + 10)
    expect(b.rate).toBeCloseTo(0.4)
    // Without a partition key, the newest reading is the key's pace, as before.
    const { partition: _, ...unpartitioned } = info("x", 90)
    const plain = Aimd.onHeaders(c, Aimd.onHeaders(c, Aimd.initial(c), { ...unpartitioned, limit: 5 }, NOW), unpartitioned, NOW + 10)
    expect(plain.rate).toBeGreaterThan(5)
    // Once the tight partition's reading is stale, the other one paces the key.
    const later = Aimd.onHeaders(c, b, info("bbbb0002", 90), NOW + 10 + c.headerStaleMs + 1)
    expect(later.rate).toBeGreaterThan(5)
  })

  prop(
    "applies the lowest live pace and stays bounded",
    [fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.double({ min: 0.01, max: 1000, noNaN: true }), fc.integer({ min: 0, max: 5000 })), { maxLength: 200 })],
    ([events]) => {
      let parts: Partitions.Partitions = {}
      let now = NOW
      for (const [id, rate, dt] of events) {
        now += dt
        const r = Partitions.record(parts, String(id), rate, now + 3000, now)
        parts = r.partitions
        const live = Object.values(parts).filter((p) => p.until > now)
        expect(r.rate).toBe(Math.min(...live.map((p) => p.rate)))
        expect(r.rate).toBeLessThanOrEqual(rate)
        expect(Object.keys(parts).length).toBeLessThanOrEqual(16)
      }
    }
  )
})
