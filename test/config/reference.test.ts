import { describe, expect, it } from "@effect/vitest"
import { allFields } from "../../src/config/internal/fields.js"
import * as Reference from "../../src/config/reference.js"

const rowFor = (table: string, path: string) => table.split("\n").find((line) => line.startsWith(`| \`${path}\` |`))

describe("configuration reference", () => {
  const table = Reference.markdownTable()

  it("has one row per field, each with a description", () => {
    const rows = table.split("\n").slice(2)
    expect(rows).toHaveLength(allFields.length)
    for (const field of allFields) {
      const row = rowFor(table, field.segments.join("."))
      expect(row, field.segments.join(".")).toBeDefined()
      expect(field.description, field.segments.join(".")).toMatch(/\S{3}/)
      expect(row!.split(" | ")).toHaveLength(5)
    }
    for (const path of ["retry.maxRetries", "adaptive.backoffStatuses", "breaker.halfOpenMaxProbes", "cache.varyHeaders", "auth.env", "logging.maskStyle", "throttle.threshold", "documentedLimit", "minInterval"]) {
      expect(rowFor(table, path), path).toBeDefined()
    }
  })

  it("shows types, defaults and environment variables taken from the schema", () => {
    expect(rowFor(table, "name")).toMatch(/\| `string` \| required \|/)
    expect(rowFor(table, "retry.maxRetries")).toMatch(/\| `number` \| `3` \| `RETRY_MAX_RETRIES` \|/)
    expect(rowFor(table, "retry.initialDelay")).toMatch(/\| `duration` \| `500` \(500ms\) \|/)
    expect(rowFor(table, "retry.retryOnStatus")).toContain("`[408,425,429,500,502,503,504]`")
    expect(rowFor(table, "retry.jitter")).toContain("`\"none\" \\| \"full\" \\| \"proportional\"`")
    expect(rowFor(table, "breaker.failureRate")).toMatch(/\| `number` \| `0.5` \|/)
    expect(rowFor(table, "breaker.minimumCalls")).toMatch(/\| `number` \| — \|/)
    expect(rowFor(table, "auth.header")).toContain("`\"Authorization\"`")
    expect(rowFor(table, "auth.scheme")).toContain("required")
    expect(rowFor(table, "limits")).toMatch(/\| `Limit\[\]` \| `\[\]` \| `LIMITS` \|/)
    expect(rowFor(table, "headers")).toContain("`Record<string, string>`")
    expect(rowFor(table, "throttle")).toContain("`object \\| false`")
    expect(rowFor(table, "throttle.threshold")).toContain("`0.8`")
  })

  it("is stable, so a README can be checked against it", () => {
    expect(Reference.markdown()).toBe(Reference.markdown())
    expect(Reference.markdown()).toContain(table)
    expect(Reference.markdown().startsWith("## Configuration reference\n")).toBe(true)
  })
})
