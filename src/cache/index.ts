/**
 * Response cache: key derivation, HTTP cacheability, stores and the `ResponseCache` service.
 *
 * @since 0.1.0
 */
export * as CacheKey from "./key.js"
export * as CachePolicy from "./policy.js"
export { CacheStoreError, InvalidCacheOptions } from "./CacheStore.js"
export type { CacheEntry, CacheStore, CacheStoreStats } from "./CacheStore.js"
export { makeMemoryStore } from "./MemoryStore.js"
export type { MemoryStoreOptions } from "./MemoryStore.js"
export { makeFileStore } from "./FileStore.js"
export type { FileStoreOptions } from "./FileStore.js"
export * as ResponseCache from "./ResponseCache.js"
