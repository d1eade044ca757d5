import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { BoundedLru } from "../../src/cache/boundedLru.js"

interface Node {
  readonly key: string
  readonly size: number
  prev: Node | null
  next: Node | null
}

type Op =
  | { readonly op: "set"; readonly key: string; readonly size: number }
  | { readonly op: "use" | "delete"; readonly key: string }
  | { readonly op: "clear" }

const key = fc.constantFrom("a", "b", "c", "d", "e", "f", "g")
const ops = fc.array(
  fc.oneof(
    { arbitrary: fc.record({ op: fc.constant("set" as const), key, size: fc.integer({ min: 1, max: 40 }) }), weight: 3 },
    fc.record({ op: fc.constantFrom("use" as const, "delete" as const), key }),
    fc.constant({ op: "clear" as const })
  ),
  { maxLength: 60 }
)

describe("bounded LRU (memory store and file memo)", () => {
  it("holds at most maxEntries nodes and maxBytes bytes, evicting least recently used first (property)", () =>
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 100 }), ops, (maxEntries, maxBytes, script: ReadonlyArray<Op>) => {
      const lru = new BoundedLru<Node>(maxEntries, maxBytes)
      let model: Array<[string, number]> = [] // least recently used first
      for (const step of script) {
        const i = step.op === "clear" ? -1 : model.findIndex(([k]) => k === step.key)
        switch (step.op) {
          case "set": {
            if (i >= 0) model.splice(i, 1)
            let evicted = 0
            if (step.size <= maxBytes) {
              model.push([step.key, step.size])
              const total = () => model.reduce((a, [, s]) => a + s, 0)
              while (model.length > maxEntries || total() > maxBytes) {
                model.shift()
                evicted++
              }
            }
            expect(lru.set({ key: step.key, size: step.size, prev: null, next: null })).toBe(evicted)
            break
          }
          case "use":
            expect(lru.use(step.key)?.size).toBe(i < 0 ? undefined : model[i]![1])
            if (i >= 0) model.push(model.splice(i, 1)[0]!)
            break
          case "delete":
            expect(lru.delete(step.key)?.size).toBe(i < 0 ? undefined : model[i]![1])
            if (i >= 0) model.splice(i, 1)
            break
          case "clear":
            lru.clear()
            model = []
        }
        expect([...lru.oldestFirst()].map((n) => [n.key, n.size])).toEqual(model)
        expect([lru.size, lru.bytes]).toEqual([model.length, model.reduce((a, [, s]) => a + s, 0)])
        expect(lru.size <= maxEntries && lru.bytes <= maxBytes).toBe(true)
      }
    })))
})
