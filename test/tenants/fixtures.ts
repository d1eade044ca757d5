/** Shared by the tenant tests: a 3-level hierarchy in a limits store, and the check of a limit over every window. */
import { Effect } from "effect"
import * as Limit from "../../src/limiter/Limit.js"
import { LimitsStore } from "../../src/limits/LimitsStore.js"

/** app (10 at once, 10/s) > two customers (4 at once, 4/s) > two users each (2 at once, 2/s), on resource "api". */
export const TREE = {
  app: { capacity: 10, perSecond: 10 },
  customer: { capacity: 4, perSecond: 4 },
  user: { capacity: 2, perSecond: 2 }
} as const
export type Tree = { readonly [K in keyof typeof TREE]: { readonly capacity: number; readonly perSecond: number } }

/** A tree where every level binds under load: two users (8/s) exceed their customer (6/s), two customers (12/s) the app. */
export const BINDING: Tree = {
  app: { capacity: 10, perSecond: 10 },
  customer: { capacity: 6, perSecond: 6 },
  user: { capacity: 4, perSecond: 4 }
}
export const CUSTOMERS = ["acme", "globex"] as const
export const USERS = ["acme-ann", "acme-bob", "globex-cy", "globex-dee"] as const
export const customerOf = (user: string) => user.split("-")[0]!

/**
 * Store the tree (entities with parents and overrides for every resource): limits named "rps", per
 * second, or (for real-time tests that must not see refills) the same numbers per minute.
 */
export const storeTree = (per: "second" | "minute" = "second", tree: Tree = TREE) =>
  Effect.gen(function*() {
    const store = yield* LimitsStore
    const limit = (n: number) => [per === "second" ? Limit.perSecond("rps", n) : Limit.perMinute("rps", n)]
    const put = (name: string, parent: string | undefined, n: number) =>
      store.put({ kind: "entity", name, settings: { ...(parent === undefined ? {} : { parent }), limits: { "*": limit(n) } } }, {
        source: "test"
      })
    yield* put("app", undefined, tree.app.perSecond)
    for (const c of CUSTOMERS) yield* put(c, "app", tree.customer.perSecond)
    for (const u of USERS) yield* put(u, customerOf(u), tree.user.perSecond)
  })

/**
 * The windows where more was admitted than a bucket allows: over every window [t_i, t_j] of sorted
 * admission times, at most `capacity + rate * (width + jitterMs)`.
 */
export const overAdmitted = (times: ReadonlyArray<number>, capacity: number, perSecond: number, jitterMs = 0) => {
  const sorted = [...times].sort((a, b) => a - b)
  const bad: Array<{ from: number; to: number; count: number }> = []
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i; j < sorted.length; j++) {
      const allowed = capacity + (perSecond * (sorted[j]! - sorted[i]! + jitterMs)) / 1000 + 1e-9
      if (j - i + 1 > allowed) bad.push({ from: sorted[i]!, to: sorted[j]!, count: j - i + 1 })
    }
  }
  return bad
}

/** Admission times per entity at every level (a user's admission counts for its customer and the app). */
export const byLevel = (admitted: ReadonlyArray<{ readonly user: string; readonly at: number }>) => {
  const out = new Map<string, Array<number>>()
  const add = (entity: string, at: number) => out.set(entity, [...(out.get(entity) ?? []), at])
  for (const { user, at } of admitted) {
    add(user, at)
    add(customerOf(user), at)
    add("app", at)
  }
  return out
}

export const capacityOf = (entity: string, tree: Tree = TREE) =>
  entity === "app" ? tree.app : (CUSTOMERS as ReadonlyArray<string>).includes(entity) ? tree.customer : tree.user
