import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { renderUsage, sparkline } from "../../src/cli/usageFormat.js"

describe("usage chart", () => {
  it("one column per interval up to the width (intervals summed beyond), the largest full, empty ones blank", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 80 }), (values, width) => {
        const line = [...sparkline(values, width)]
        const per = Math.max(1, Math.ceil(values.length / width))
        expect(line.length).toBe(Math.ceil(values.length / per))
        expect(line.length).toBeLessThanOrEqual(width)
        const sums = line.map((_, i) => values.slice(i * per, (i + 1) * per).reduce((a, b) => a + b, 0))
        const max = Math.max(...sums)
        sums.forEach((v, i) => {
          if (v === 0) expect(line[i]).toBe(" ")
          else expect(line[i]).not.toBe(" ")
          if (v === max && max > 0) expect(line[i]).toBe("█")
        })
      })
    )
  })

  it("a table row per interval, resource and limit, and a chart over the whole window", () => {
    const text = renderUsage({
      entity: "acme",
      intervalMs: 60_000,
      from: 0,
      to: 4 * 60_000,
      rows: [
        { start: 0, resource: "api", limit: "rps", amount: 4 },
        { start: 120_000, resource: "api", limit: "rps", amount: 2 }
      ]
    })
    expect(text.split("\n")).toEqual([
      "usage of acme: 1970-01-01 00:00 to 1970-01-01 00:04 UTC, per 1m",
      "",
      "INTERVAL (UTC)    RESOURCE  LIMIT  AMOUNT",
      "----------------  --------  -----  ------",
      "1970-01-01 00:00  api       rps    4",
      "1970-01-01 00:02  api       rps    2",
      "",
      "api rps  |█ ▄ |  max 4 per 1m, total 6"
    ])
  })
})
