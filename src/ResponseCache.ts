/**
 * The response cache: the `ResponseCache` service (HTTP semantics of RFC 9111, revalidation, single
 * flight, stale answers of RFC 5861), its stores (memory, file system; Redis is `makeCacheStore` in
 * `effect-governor/redis`), the key it derives (a credential partition) and its policy.
 *
 * @since 0.1.0
 */
export * from "./cache/ResponseCache.js"
export {
  type CacheEntry,
  type CacheStore,
  CacheStoreError,
  type CacheStoreStats,
  InvalidCacheOptions
} from "./cache/CacheStore.js"
export { type FileStoreOptions, makeFileStore } from "./cache/FileStore.js"
export { defaultCredentialHeaders } from "./cache/key.js"
export { makeMemoryStore, type MemoryStoreOptions } from "./cache/MemoryStore.js"
export {
  type CachePolicy,
  CachePolicyOptions,
  defaultCacheableStatuses,
  defaultPolicy
} from "./cache/policy.js"
