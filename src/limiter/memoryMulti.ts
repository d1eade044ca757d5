/**
 * The memory store's multi-key acquire: one synchronous section (atomic: JavaScript runs one fiber at
 * a time) over the keys of a hierarchy, all or none, on the same key states as the single-key
 * operations (`memoryStore.ts`), with usage counters in bounded rings (`usageRing.ts`).
 *
 * @since 0.1.0
 * @internal
 */
import { Effect } from "effect"
import * as Bucket from "./bucket.js"
import { blockedBy, commit, type KeyBucket, type Policy, waitFor } from "./admission.js"
import {
  admitted,
  type Level,
  type LevelBlock,
  type LimiterStore,
  type ManyDecision,
  type MultiKeyStore,
  type UsageRead
} from "./LimiterStore.js"
import { KeyTable, type KeyState, peekState, store, viewFor } from "./memoryStore.js"
import type { Peek } from "./snapshot.js"
import { record, type UsageSettings } from "./usageRing.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface MemoryMultiSettings {
  readonly policy: Policy
  readonly maxKeys: number
  readonly idleTimeoutMs: number
  /** Usage counters, or `undefined` to keep none. */
  readonly usage: UsageSettings | undefined
}

/**
 * Rings by name, at most `max` of them: the oldest created goes first (not the least recently used:
 * moving a map entry on every write piles up deleted slots, which V8 pays for on every lookup).
 */
const makeRings = (max: number) => {
  const rings = new Map<string, Map<string, string>>()
  return {
    get: (name: string): ReadonlyMap<string, string> | undefined => rings.get(name),
    write: (name: string): Map<string, string> => {
      let ring = rings.get(name)
      if (ring === undefined) {
        if (rings.size >= max) rings.delete(rings.keys().next().value!)
        ring = new Map()
        rings.set(name, ring)
      }
      return ring
    }
  }
}

/**
 * Decide `levels` at `now` on `table`: every level admits (then all are committed) or nothing changes.
 *
 * @since 0.1.0
 * @category decision
 */
export const decideMany = (table: KeyTable, policy: Policy, levels: ReadonlyArray<Level>, now: number): ManyDecision => {
  const states: Array<KeyState> = []
  const views: Array<ReadonlyArray<KeyBucket>> = []
  let blocked: Array<LevelBlock> | undefined
  let wait = 0
  for (let i = 0; i < levels.length; i++) {
    const { key, req } = levels[i]!
    const st = table.touch(key, now)
    // Pinned while the next keys are touched: creating a key sweeps idle ones (a fresh key is idle).
    st.waiting++
    const view = viewFor(st, req.set, now)
    states.push(st)
    views.push(view)
    const w = waitFor(st, view, req, now)
    if (w > 0) {
      ;(blocked ??= []).push({ level: i, waitMs: w, blockedBy: blockedBy(st, view, req, now) })
      if (w > wait) wait = w
    }
  }
  for (const st of states) st.waiting--
  if (blocked !== undefined) return { admitted: false, waitMs: wait, blocked }
  for (let i = 0; i < levels.length; i++) commit(policy, states[i]!, views[i]!, levels[i]!.req, now)
  return admitted
}

/**
 * A memory store with the multi-key operations: its own key table, the single-key operations of
 * `memoryStore.ts` on the same keys.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemoryMulti = (settings: MemoryMultiSettings): LimiterStore<never> & MultiKeyStore<never> => {
  const table = new KeyTable(settings.maxKeys, settings.idleTimeoutMs)
  const rings = makeRings(settings.maxKeys)
  const usage = settings.usage
  const count = (levels: ReadonlyArray<Level>, now: number) => {
    if (usage === undefined) return
    for (const { req, usage: where } of levels) {
      if (where === undefined) continue
      const ring = rings.write(where.ring)
      for (let i = 0; i < req.costs.length; i++) {
        if (req.costs[i]! > 0) record(ring, usage, now, where.labels[i]!, req.costs[i]!)
      }
    }
  }
  return {
    ...store(table, settings.policy),
    acquireMany: (levels) =>
      Effect.clockWith((clock) =>
        Effect.sync(() => {
          const now = clock.unsafeCurrentTimeMillis()
          const decision = decideMany(table, settings.policy, levels, now)
          if (decision.admitted) count(levels, now)
          return decision
        })
      ),
    peekMany: (levels) =>
      Effect.clockWith((clock) =>
        Effect.sync(() => {
          const now = clock.unsafeCurrentTimeMillis()
          return levels.map(({ key, req }): Peek => {
            const st = table.get(key)
            if (st === undefined) return peekState(undefined, req.set, now)
            // Only this level's limits (the key may hold buckets of limits that no longer apply).
            const buckets = viewFor(st, req.set, now).map((b) => {
              Bucket.refill(b.spec, b, now)
              return { spec: b.spec, tokens: b.tokens }
            })
            return { ...peekState(st, req.set, now), buckets }
          })
        })
      ),
    readUsage: (ring) =>
      Effect.clockWith((clock) =>
        Effect.sync((): UsageRead => ({ now: clock.unsafeCurrentTimeMillis(), entries: [...(rings.get(ring) ?? [])] }))
      )
  }
}
