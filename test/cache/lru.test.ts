import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { makeLru } from "../../src/cache/lru.js"

type Op =
  | { readonly op: "use" | "peek" | "delete"; readonly key: string }
  | { readonly op: "set"; readonly key: string; readonly value: number }
  | { readonly op: "clear" }

const key = fc.constantFrom("a", "b", "c", "d", "e")
const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constantFrom("use" as const, "peek" as const, "delete" as const), key }),
    fc.record({ op: fc.constant("set" as const), key, value: fc.integer() }),
    fc.constant({ op: "clear" as const })
  ),
  { maxLength: 60 }
)

describe("LRU list", () => {
  it("orders entries exactly like a recency list (property, against an array model)", () =>
    fc.assert(fc.property(ops, (script: ReadonlyArray<Op>) => {
      const lru = makeLru<number>()
      let model: Array<[string, number]> = [] // least recently used first
      for (const step of script) {
        const i = step.op === "clear" ? -1 : model.findIndex(([k]) => k === step.key)
        switch (step.op) {
          case "use": {
            expect(lru.use(step.key)).toBe(i < 0 ? undefined : model[i]![1])
            if (i >= 0) model.push(model.splice(i, 1)[0]!)
            break
          }
          case "peek":
            expect(lru.peek(step.key)).toBe(i < 0 ? undefined : model[i]![1])
            break
          case "delete":
            expect(lru.delete(step.key)).toBe(i < 0 ? undefined : model[i]![1])
            if (i >= 0) model.splice(i, 1)
            break
          case "set":
            lru.set(step.key, step.value)
            if (i >= 0) model.splice(i, 1)
            model.push([step.key, step.value])
            break
          case "clear":
            lru.clear()
            model = []
        }
        expect([...lru.oldestFirst()]).toEqual(model)
        expect(lru.size()).toBe(model.length)
      }
    })))

  it("allows deleting the current entry while iterating oldest first", () => {
    const lru = makeLru<number>()
    for (const [k, v] of [["a", 1], ["b", 2], ["c", 3]] as const) lru.set(k, v)
    for (const [k] of lru.oldestFirst()) if (k !== "b") lru.delete(k)
    expect([...lru.oldestFirst()]).toEqual([["b", 2]])
  })
})
