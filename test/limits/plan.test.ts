import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import * as Limit from "../../src/limiter/Limit.js"
import { apply } from "../../src/limits/apply.js"
import { LimitsStore } from "../../src/limits/LimitsStore.js"
import { layerMemory } from "../../src/limits/memoryStore.js"
import { encodeEntry, type Entry, keyOf, targetOf } from "../../src/limits/model.js"
import { fieldDiff, plan } from "../../src/limits/plan.js"

const arbLimits = fc.uniqueArray(fc.record({ name: fc.constantFrom("rps", "rpm", "tpm"), n: fc.integer({ min: 1, max: 99 }) }), {
  selector: (l) => l.name,
  maxLength: 2
}).map((ls) => ls.map((l) => Limit.perMinute(l.name, l.n)))

/** Entries for a few names: each entity's parent (if any) is declared before it. */
const arbEntries: fc.Arbitrary<Array<Entry>> = fc.record({
  system: fc.option(arbLimits, { nil: undefined }),
  resources: fc.dictionary(fc.constantFrom("a", "b", "c"), arbLimits),
  entities: fc.array(fc.record({ limits: fc.dictionary(fc.constantFrom("a", "*"), arbLimits), parent: fc.nat(3) }), { maxLength: 4 })
}).map(({ entities, resources, system }) => [
  ...(system === undefined ? [] : [{ kind: "system" as const, limits: system }]),
  ...Object.entries(resources).map(([name, limits]) => ({ kind: "resource" as const, name, limits })),
  ...entities.map((e, i) => ({
    kind: "entity" as const,
    name: `e${i}`,
    settings: { limits: e.limits, ...(e.parent < i ? { parent: `e${e.parent}` } : {}) }
  }))
])

const applyToMap = (current: Map<string, string>, changes: ReturnType<typeof plan>) => {
  const next = new Map(current)
  for (const c of changes) c.after === undefined ? next.delete(c.key) : next.set(c.key, c.after)
  return next
}

describe("limits plan", () => {
  it("applying a plan reaches the file; a second plan is empty; without prune nothing else is touched", () => {
    fc.assert(
      fc.property(arbEntries, arbEntries, fc.boolean(), (old, desired, prune) => {
        const current = new Map(old.map((e) => [keyOf(targetOf(e)), encodeEntry(e)]))
        const changes = plan(desired, current, { prune })
        const after = applyToMap(current, changes)
        expect(plan(desired, after, { prune })).toEqual([])
        for (const e of desired) expect(after.get(keyOf(targetOf(e)))).toBe(encodeEntry(e))
        const declared = new Set(desired.map((e) => keyOf(targetOf(e))))
        for (const [key, text] of current) {
          if (!declared.has(key)) expect(after.get(key)).toBe(prune ? undefined : text)
        }
        // Every parent is written before a child that names it.
        const order = changes.map((c) => c.key)
        for (const c of changes) {
          const parent = c.entry?.kind === "entity" ? c.entry.settings.parent : undefined
          if (parent !== undefined && order.includes(`entity:${parent}`)) {
            expect(order.indexOf(`entity:${parent}`)).toBeLessThan(order.indexOf(c.key))
          }
        }
      })
    )
  })

  it("fieldDiff names each changed field, limits by name", () => {
    const before = encodeEntry({ kind: "entity", name: "u", settings: { limits: { api: [Limit.perMinute("rpm", 60), Limit.perSecond("rps", 2)] } } })
    const after = encodeEntry({ kind: "entity", name: "u", settings: { parent: "org", limits: { api: [Limit.perMinute("rpm", 30)] } } })
    const diff = fieldDiff(before, after)
    expect(diff.map((d) => d.path)).toEqual([
      "limits.api[rpm].capacity",
      "limits.api[rpm].refillAmount",
      "limits.api[rps].capacity",
      "limits.api[rps].refillAmount",
      "limits.api[rps].refillPeriod",
      "limits.api[rps].window.type",
      "parent"
    ])
    expect(diff.find((d) => d.path === "limits.api[rpm].capacity")).toEqual({ path: "limits.api[rpm].capacity", before: "60", after: "30" })
    expect(diff.find((d) => d.path === "parent")).toEqual({ path: "parent", before: undefined, after: "\"org\"" })
  })

  it.effect("apply is idempotent: the second run writes and audits nothing", () =>
    Effect.gen(function*() {
      const desired: Array<Entry> = [
        { kind: "entity", name: "user-42", settings: { parent: "org-1", limits: {} } },
        { kind: "entity", name: "org-1", settings: { limits: { "*": [Limit.perMinute("rpm", 600)] } } }
      ]
      const first = yield* apply(desired, { source: "test" })
      expect(first.map((e) => keyOf(e.target))).toEqual(["entity:org-1", "entity:user-42"])
      expect(yield* apply(desired, { source: "test" })).toEqual([])
      expect((yield* (yield* LimitsStore).texts).size).toBe(2)
    }).pipe(Effect.provide(layerMemory())))
})
