import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { Lru } from "../../src/internal/lru.js"

interface Node {
  readonly key: string
  readonly value: number
  prev: Node | null
  next: Node | null
}
const node = (key: string, value: number): Node => ({ key, value, prev: null, next: null })

type Op =
  | { readonly op: "use" | "get" | "delete" | "touch" | "remove"; readonly key: string }
  | { readonly op: "add"; readonly key: string; readonly value: number }
  | { readonly op: "clear" }

const key = fc.constantFrom("a", "b", "c", "d", "e")
const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constantFrom("use" as const, "get" as const, "delete" as const, "touch" as const, "remove" as const), key }),
    fc.record({ op: fc.constant("add" as const), key, value: fc.integer() }),
    fc.constant({ op: "clear" as const })
  ),
  { maxLength: 60 }
)

const listed = (lru: Lru<Node>) => [...lru.oldestFirst()].map((n) => [n.key, n.value])

describe("LRU list (intrusive, shared by the limiter and the cache)", () => {
  it("orders nodes exactly like a recency list (property, against an array model)", () =>
    fc.assert(fc.property(ops, (script: ReadonlyArray<Op>) => {
      const lru = new Lru<Node>()
      let model: Array<[string, number]> = [] // least recently used first
      for (const step of script) {
        const i = step.op === "clear" ? -1 : model.findIndex(([k]) => k === step.key)
        const value = i < 0 ? undefined : model[i]![1]
        switch (step.op) {
          case "use":
            expect(lru.use(step.key)?.value).toBe(value)
            if (i >= 0) model.push(model.splice(i, 1)[0]!)
            break
          case "get":
            expect(lru.get(step.key)?.value).toBe(value)
            break
          case "touch": {
            const n = lru.get(step.key)
            if (n !== undefined) lru.touch(n)
            if (i >= 0) model.push(model.splice(i, 1)[0]!)
            break
          }
          case "delete":
            expect(lru.delete(step.key)?.value).toBe(value)
            if (i >= 0) model.splice(i, 1)
            break
          case "remove": {
            const n = lru.get(step.key)
            if (n !== undefined) lru.remove(n)
            if (i >= 0) model.splice(i, 1)
            break
          }
          case "add":
            expect(lru.add(node(step.key, step.value))?.value).toBe(value)
            if (i >= 0) model.splice(i, 1)
            model.push([step.key, step.value])
            break
          case "clear":
            lru.clear()
            model = []
        }
        expect(listed(lru)).toEqual(model)
        expect(lru.size).toBe(model.length)
        expect(lru.oldest()?.key).toBe(model[0]?.[0])
      }
    })))

  it("allows removing the current node while iterating oldest first", () => {
    const lru = new Lru<Node>()
    for (const [k, v] of [["a", 1], ["b", 2], ["c", 3]] as const) lru.add(node(k, v))
    for (const n of lru.oldestFirst()) if (n.key !== "b") lru.remove(n)
    expect(listed(lru)).toEqual([["b", 2]])
  })
})
