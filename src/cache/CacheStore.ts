/**
 * The storage contract every cache backend implements (memory, file system, Redis…).
 *
 * Two times matter and they are deliberately separate:
 * - `entry.expiresAt` is HTTP freshness: until then the entry is served without asking upstream;
 * - the `ttl` given to `set` is retention: how long the store keeps the entry at all. It is longer
 *   than freshness when the entry can be revalidated (ETag / Last-Modified), so a stale entry is
 *   still there to send a conditional request for.
 * A store must never return an entry past its retention (`storedAt`-independent: retention is
 * counted from the moment `set` ran, on the store's clock).
 *
 * @since 0.1.0
 */
import type { Duration, Effect, Option } from "effect"
import { Schema } from "effect"

/**
 * One stored response. `headers` are the response headers with lower-case names (hop-by-hop
 * headers removed). `vary` maps each header named by the response's `Vary` to a fingerprint of the
 * value the request had when it was stored (`null`: absent; see `varyValues`), so a lookup can check
 * the variant without the store ever holding a credential sent in such a header.
 *
 * @since 0.1.0
 * @category models
 */
export interface CacheEntry {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
  /** Epoch ms. */
  readonly storedAt: number
  /** Fresh until (epoch ms). */
  readonly expiresAt: number
  readonly etag?: string | undefined
  readonly lastModified?: string | undefined
  readonly vary?: Readonly<Record<string, string | null>> | undefined
}

/**
 * Counters and sizes of a store. `hits`/`misses` count `get` calls; `evictions` count entries
 * removed to respect a bound; `expirations` count entries dropped because their retention passed;
 * `corrupt` count undecodable entries removed (file store); `unreadable` count encounters with an
 * entry the store could neither read nor remove (file store: permissions, a directory in its
 * place), each a miss left in place for an operator to fix.
 *
 * @since 0.1.0
 * @category models
 */
export interface CacheStoreStats {
  readonly hits: number
  readonly misses: number
  /** hits / (hits + misses); 0 before the first lookup. */
  readonly hitRate: number
  readonly entries: number
  readonly bytes: number
  readonly evictions: number
  readonly expirations: number
  readonly corrupt: number
  readonly unreadable: number
}

/**
 * A store failed for a reason that is not "absent" (I/O error, connection lost…). Reading a
 * missing, expired, corrupt or unreadable entry is a miss, never this error.
 *
 * @since 0.1.0
 * @category errors
 */
export class CacheStoreError extends Schema.TaggedError<CacheStoreError>()("CacheStoreError", {
  store: Schema.String,
  operation: Schema.String,
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return `Cache store "${this.store}" failed to ${this.operation}: ${this.reason}`
  }
}

/**
 * The interface a backend implements. Keys are opaque strings (the response cache passes
 * SHA-256 hex digests, which a store can use as names as they are).
 *
 * @since 0.1.0
 * @category models
 */
export interface CacheStore {
  /** A short name for errors and logs ("memory", "file", "redis"). */
  readonly name: string
  /** The entry if present and within its retention, else `None` (counts a hit or a miss). */
  readonly get: (key: string) => Effect.Effect<Option.Option<CacheEntry>, CacheStoreError>
  /** Stores (replacing) an entry, retained for `ttl`. A zero `ttl` stores nothing. */
  readonly set: (key: string, entry: CacheEntry, ttl: Duration.Duration) => Effect.Effect<void, CacheStoreError>
  /** Removes an entry; `true` when there was one. */
  readonly delete: (key: string) => Effect.Effect<boolean, CacheStoreError>
  readonly clear: Effect.Effect<void, CacheStoreError>
  /** Removes every entry past its retention; returns how many were removed. */
  readonly cleanupExpired: Effect.Effect<number, CacheStoreError>
  readonly stats: Effect.Effect<CacheStoreStats, CacheStoreError>
}

/**
 * Approximate size of an entry in bytes (body + headers + metadata), used for byte bounds.
 *
 * @since 0.1.0
 * @category utils
 */
export const entrySize = (key: string, entry: CacheEntry): number => {
  let size = key.length + entry.body.byteLength + 64
  for (const [k, v] of Object.entries(entry.headers)) size += k.length + v.length + 4
  if (entry.etag !== undefined) size += entry.etag.length
  if (entry.lastModified !== undefined) size += entry.lastModified.length
  if (entry.vary !== undefined) {
    for (const [k, v] of Object.entries(entry.vary)) size += k.length + (v?.length ?? 0) + 4
  }
  return size
}

/** @internal */
export const hitRate = (hits: number, misses: number): number => (hits + misses === 0 ? 0 : hits / (hits + misses))

/**
 * A store or cache option was invalid; `field` names it (`"maxBodyBytes"`, `"policy.cacheableStatuses"`),
 * `reason` says what was expected.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidCacheOptions extends Schema.TaggedError<InvalidCacheOptions>()("InvalidCacheOptions", {
  field: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Invalid cache option "${this.field}": ${this.reason}`
  }
}
