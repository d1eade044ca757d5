/**
 * The field schemas of the cache's options (`ResponseCache.make`, the stores, `CachePolicyOptions`),
 * which the config's cache section shares.
 *
 * @since 0.1.0
 * @internal
 */
import { Schema } from "effect"
import { MAX_CACHE_BYTES, MAX_CACHE_ENTRIES, MAX_CACHE_TTL } from "../internal/bounds.js"
import { anyDurationUpTo, durationUpTo, intBetween } from "../internal/schema.js"

/**
 * A status whose response may be stored: 200-599 but 304 (an answer about a stored response) and
 * 206 (a fragment of one).
 *
 * @since 0.1.0
 * @internal
 */
export const CacheableStatus = Schema.Number.pipe(
  Schema.filter((s) => Number.isInteger(s) && s >= 200 && s <= 599 && s !== 206 && s !== 304, {
    message: (issue) => `status ${String(issue.actual)} cannot be cached (200-599, but not 206 or 304)`
  })
)

/**
 * A method name whose responses may be stored (`GET`; any case).
 *
 * @since 0.1.0
 * @internal
 */
export const CacheableMethod = Schema.String.pipe(
  Schema.filter((s) => /^[A-Za-z]+$/.test(s), {
    message: (issue) => `Expected an HTTP method name (letters only), got ${JSON.stringify(issue.actual)}`
  })
)

/**
 * A freshness or stale allowance (`defaultTtl`, `staleWhileRevalidate`, `staleIfError`) of the
 * options: any `Duration.DurationInput` from 0 to `MAX_CACHE_TTL`.
 *
 * @since 0.1.0
 * @internal
 */
export const CacheTtl = anyDurationUpTo(MAX_CACHE_TTL)

/**
 * The same bound in JSON form (milliseconds or `"5 minutes"`), for the config and `CachePolicyOptions`.
 *
 * @since 0.1.0
 * @internal
 */
export const CacheTtlJson = durationUpTo(MAX_CACHE_TTL)

/**
 * Entries a memory store keeps: 1 to `MAX_CACHE_ENTRIES`.
 *
 * @since 0.1.0
 * @internal
 */
export const MaxEntries = intBetween(1, MAX_CACHE_ENTRIES)

/**
 * Body bytes a memory store keeps: 1 to `MAX_CACHE_BYTES`.
 *
 * @since 0.1.0
 * @internal
 */
export const MaxBytes = intBetween(1, MAX_CACHE_BYTES)

/**
 * The fields of a cache policy, each optional, given the schemas of its durations: `CacheTtl` and
 * `AnyDuration` in code (`ResponseCache.make`), their JSON forms in `CachePolicyOptions` (the config).
 *
 * @since 0.1.0
 * @internal
 */
export const policyFields = <T extends Schema.Schema.Any, D extends Schema.Schema.Any>(ttl: T, duration: D) => ({
  shared: Schema.optional(Schema.Boolean),
  cacheableMethods: Schema.optional(Schema.Array(CacheableMethod)),
  cacheableStatuses: Schema.optional(Schema.Array(CacheableStatus)),
  defaultTtl: Schema.optional(ttl),
  maxTtl: Schema.optional(duration),
  staleRetention: Schema.optional(duration),
  allowSetCookie: Schema.optional(Schema.Boolean),
  staleWhileRevalidate: Schema.optional(ttl),
  staleIfError: Schema.optional(ttl)
})
