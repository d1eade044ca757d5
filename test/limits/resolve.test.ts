import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import fc from "fast-check"
import * as Limit from "../../src/limiter/Limit.js"
import { decodeEntry, encodeEntry, type Entry, keyOf, parseKey, type Target } from "../../src/limits/model.js"
import { resolveLevels } from "../../src/limits/resolve.js"

const rps = (n: number) => Limit.perSecond(`rps`, n)
const arbLimits = fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 3 }).map((ns) =>
  ns.map((n, i) => Limit.perMinute(`l${i}`, n))
)
const arbName = fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s.trim() === s && !/[\u0000-\u001f\u007f]/.test(s))

describe("limits resolution", () => {
  it("entity override, then the entity's '*', then the resource default, then the system default", () => {
    fc.assert(
      fc.property(
        fc.option(arbLimits, { nil: undefined }),
        fc.option(arbLimits, { nil: undefined }),
        fc.option(arbLimits, { nil: undefined }),
        fc.option(arbLimits, { nil: undefined }),
        fc.option(arbName, { nil: undefined }),
        (own, any, res, sys, parent) => {
          const limits = { ...(own === undefined ? {} : { api: own }), ...(any === undefined ? {} : { "*": any }) }
          const r = resolveLevels("e", "api", {
            entity: { limits, ...(parent === undefined ? {} : { parent }) },
            resource: res,
            system: sys
          })
          const expected = own !== undefined
            ? [own, "entity"]
            : any !== undefined
            ? [any, "entityDefault"]
            : res !== undefined
            ? [res, "resource"]
            : sys !== undefined
            ? [sys, "system"]
            : [[], "none"]
          expect([r.limits, r.source]).toEqual(expected)
          expect(r.parent).toBe(parent)
        }
      )
    )
  })

  it("another resource's override never applies", () => {
    const r = resolveLevels("e", "api", { entity: { limits: { other: [rps(1)] } }, resource: undefined, system: [rps(9)] })
    expect(r.source).toBe("system")
    expect(r.limits[0]!.capacity).toBe(9)
  })

  it("stored texts round-trip, are canonical (order-free) and keys invert", () => {
    fc.assert(
      fc.property(arbLimits, arbName, fc.option(arbName, { nil: undefined }), (limits, name, parent) => {
        const entries: Array<Entry> = [
          { kind: "system", limits },
          { kind: "resource", name, limits },
          { kind: "entity", name, settings: { limits: { [name]: limits, "*": [...limits].reverse() }, ...(parent === undefined ? {} : { parent }) } }
        ]
        for (const entry of entries) {
          const target: Target = entry.kind === "system" ? { kind: "system" } : { kind: entry.kind, name: entry.name }
          expect(parseKey(keyOf(target))).toEqual(target)
          const text = encodeEntry(entry)
          const back = Either.getOrThrow(decodeEntry(target, text))
          expect(encodeEntry(back)).toBe(text)
        }
        expect(encodeEntry({ kind: "system", limits: [...limits].reverse() })).toBe(encodeEntry({ kind: "system", limits }))
      })
    )
  })

  it("a corrupt stored text is a decode error naming the problem", () => {
    expect(Either.isLeft(decodeEntry({ kind: "system" }, "{\"limits\":[{\"name\":\"x\",\"limit\":-1,\"per\":\"second\"}]}"))).toBe(true)
    expect(Either.isLeft(decodeEntry({ kind: "entity", name: "e" }, "not json"))).toBe(true)
    const dup = decodeEntry({ kind: "system" }, JSON.stringify({ limits: [{ name: "a", limit: 1, per: "second" }, { name: "a", limit: 2, per: "second" }] }))
    expect(Either.isLeft(dup) && dup.left).toMatch(/duplicate limit name "a"/)
  })
})
