/**
 * Request-level counters of the response cache. Plain mutable fields: every update is one
 * synchronous step on the request path, so a `Ref` would add cost and no safety.
 *
 * @since 0.1.0
 */
import type { CacheStoreStats } from "./CacheStore.js"
import type { CacheStatus, StaleReason } from "./status.js"

/**
 * Every response the cache answers is counted exactly once, by how it left the cache: `hits` (`HIT`),
 * `misses` (`MISS`, and a full upstream response passed through unstored), `notModified`
 * (`REVALIDATED`), `coalesced` (`COALESCED`), `staleWhileRevalidate` and `staleIfError` (`STALE` by
 * its reason; the failed attempt behind a `stale-if-error` answer is not also a miss), or `bypassed`
 * (not a cache matter). Background refreshes answer nobody: they count in `refreshes` (started),
 * `refreshFailures` (failed) and `refreshesSkipped` (not started: the bound on concurrent
 * refreshes was reached), never as answers. Events rather than answers: `revalidations` counts
 * conditional requests sent (a refresh's too), `notStored` responses not stored (refused by the
 * policy, too large, or containing a known secret), `storeErrors` store failures absorbed.
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
 * The counters next to the store's own figures. `hitRate` is the share of answers served from a
 * stored entry without an upstream response of their own, stale answers included:
 * `(hits + staleWhileRevalidate + staleIfError) / (hits + staleWhileRevalidate + staleIfError +
 * misses + notModified)` (a `304` still went upstream; coalesced and bypassed answers are not
 * counted either way). `entries`, `bytes` and `evictions` come from the store (`store` has its raw
 * figures, whose hits/misses count lookups).
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

/**
 * Counts one answer by its status (`undefined`: a full upstream response passed through).
 *
 * @internal
 */
export const countAnswer = (c: Counters, status: CacheStatus | undefined, reason: StaleReason | undefined): void => {
  switch (status) {
    case "HIT":
      c.hits++
      return
    case "REVALIDATED":
      c.notModified++
      return
    case "COALESCED":
      c.coalesced++
      return
    case "STALE":
      if (reason === "while-revalidate") c.staleWhileRevalidate++
      else c.staleIfError++
      return
    default:
      c.misses++
  }
}

/** @internal */
export const statsOf = (c: Counters, s: CacheStoreStats): ResponseCacheStats => {
  const fromStore = c.hits + c.staleWhileRevalidate + c.staleIfError
  const answered = fromStore + c.misses + c.notModified
  return {
    ...c,
    hitRate: answered === 0 ? 0 : fromStore / answered,
    entries: s.entries,
    bytes: s.bytes,
    evictions: s.evictions,
    store: s
  }
}
