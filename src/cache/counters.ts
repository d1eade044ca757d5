/**
 * Request-level counters of the response cache. Plain mutable fields: every update is one
 * synchronous step on the request path, so a `Ref` would add cost and no safety.
 *
 * @since 0.1.0
 */
import type { CacheStoreStats } from "./CacheStore.js"

/**
 * Every request the cache handles ends as exactly one of: `hits` (fresh entry, `send` not called),
 * `notModified` (stale entry confirmed by a 304), `misses` (full upstream response), `coalesced`
 * (shared a concurrent leader's result), `staleWhileRevalidate` (stale entry served at once, refreshed
 * in the background) or `bypassed` (not a cache matter). `staleIfError` counts answers from a stale
 * entry after the upstream call failed (on top of that call's own outcome). `revalidations` counts
 * conditional requests sent; `notStored` responses not stored (refused by the policy, too large, or
 * containing a known secret); `storeErrors` store failures absorbed; `refreshes` background
 * refreshes started, `refreshFailures` those that failed, `refreshesSkipped` those not started
 * because the bound on concurrent refreshes was reached.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestCounters {
  readonly hits: number
  readonly misses: number
  readonly revalidations: number
  readonly notModified: number
  readonly coalesced: number
  readonly bypassed: number
  readonly notStored: number
  readonly storeErrors: number
  readonly staleWhileRevalidate: number
  readonly staleIfError: number
  readonly refreshes: number
  readonly refreshFailures: number
  readonly refreshesSkipped: number
}

/**
 * The counters next to the store's own figures. `hitRate` is `hits / (hits + notModified + misses)`.
 * `entries`, `bytes` and `evictions` come from the store (`store` has its raw figures, whose
 * hits/misses count lookups).
 *
 * @since 0.1.0
 * @category models
 */
export interface ResponseCacheStats extends RequestCounters {
  readonly hitRate: number
  readonly entries: number
  readonly bytes: number
  readonly evictions: number
  readonly store: CacheStoreStats
}

/** @internal */
export type Counters = { -readonly [K in keyof RequestCounters]: number }

/** @internal */
export const makeCounters = (): Counters => ({
  hits: 0,
  misses: 0,
  revalidations: 0,
  notModified: 0,
  coalesced: 0,
  bypassed: 0,
  notStored: 0,
  storeErrors: 0,
  staleWhileRevalidate: 0,
  staleIfError: 0,
  refreshes: 0,
  refreshFailures: 0,
  refreshesSkipped: 0
})

/** @internal */
export const statsOf = (c: Counters, s: CacheStoreStats): ResponseCacheStats => {
  const answered = c.hits + c.misses + c.notModified
  return {
    ...c,
    hitRate: answered === 0 ? 0 : c.hits / answered,
    entries: s.entries,
    bytes: s.bytes,
    evictions: s.evictions,
    store: s
  }
}
