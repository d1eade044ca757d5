import { describe, expect, it } from "vitest"
import type { BenchGroup } from "../../bench/harness.js"
import { runsPart } from "../../bench/harness.js"
import { select } from "../../bench/select.js"

const group = (name: string, parts?: ReadonlyArray<string>): BenchGroup => ({
  name,
  description: name,
  ...(parts === undefined ? {} : { parts }),
  run: () => Promise.resolve({ rows: [], figures: {} })
})
const groups = [group("limiter"), group("redis", ["libraries", "matrix"]), group("cache")]

const names = (args: ReadonlyArray<string>) => {
  const s = select(groups, args)
  if (s._tag === "Left") throw new Error(s.error)
  return s.selected.map(({ group, parts }) => [group.name, parts === undefined ? "all" : [...parts].sort().join(",")])
}

describe("bench selection (GROUP, GROUP:PART)", () => {
  it("nothing named runs every group whole, in registry order", () => {
    expect(names([])).toEqual([["limiter", "all"], ["redis", "all"], ["cache", "all"]])
  })

  it("groups in registry order, parts gathered per group, a whole group wins over its parts", () => {
    expect(names(["cache", "limiter"])).toEqual([["limiter", "all"], ["cache", "all"]])
    expect(names(["redis:matrix", "redis:libraries"])).toEqual([["redis", "libraries,matrix"]])
    expect(names(["redis:matrix", "redis"])).toEqual([["redis", "all"]])
  })

  it("an unknown group or part is an error naming it and what is known", () => {
    const unknownGroup = select(groups, ["redis", "nope"])
    expect(unknownGroup._tag === "Left" && unknownGroup.error).toContain("group nope (known: limiter, redis, cache)")
    const unknownPart = select(groups, ["redis:nope"])
    expect(unknownPart._tag === "Left" && unknownPart.error).toContain("part redis:nope (known: redis:libraries, redis:matrix)")
    const noParts = select(groups, ["cache:x"])
    expect(noParts._tag === "Left" && noParts.error).toContain("cache has no parts")
  })

  it("a group runs the parts selected, or all of them", () => {
    expect(runsPart({ quick: false }, "matrix")).toBe(true)
    expect(runsPart({ quick: false, parts: new Set(["matrix"]) }, "matrix")).toBe(true)
    expect(runsPart({ quick: false, parts: new Set(["matrix"]) }, "libraries")).toBe(false)
  })
})
