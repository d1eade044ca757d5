/**
 * Limits as data: entities (with parents) and resources, limits stored per level (entity override,
 * resource default, system default) and resolved with the level that applied, a per-process TTL
 * cache, a declarative limits file with plan/apply, and audit events. The Redis store lives in
 * `src/redis` (`makeLimitsStore`), so this module never loads ioredis.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as LimitsStore from "./LimitsStore.js"
/** @since 0.1.0 */
export { layerMemory, makeMemory, type MemoryLimitsStoreOptions } from "./memoryStore.js"
/** @since 0.1.0 */
export * as LimitsResolver from "./LimitsResolver.js"
/** @since 0.1.0 */
export * as LimitsFile from "./LimitsFile.js"
/** @since 0.1.0 */
export { type Change, type FieldDiff, fieldDiff, plan } from "./plan.js"
/** @since 0.1.0 */
export { apply, applyChanges } from "./apply.js"
/** @since 0.1.0 */
export { type AuditAction, type AuditEvent, type AuditQuery, DEFAULT_AUDIT_CAPACITY } from "./audit.js"
/** @since 0.1.0 */
export type { CacheStats } from "./ttlCache.js"
/** @since 0.1.0 */
export { type Levels, type LimitsSource, type Resolved, resolveLevels } from "./resolve.js"
/** @since 0.1.0 */
export {
  ANY_RESOURCE,
  entity,
  EntityId,
  EntitySettings,
  type Entry,
  keyOf,
  LimitList,
  resource,
  ResourceName,
  system,
  type Target
} from "./model.js"
/** @since 0.1.0 */
export { InvalidHierarchy, InvalidLimitsEntry, LimitsConflict, LimitsStoreError } from "./errors.js"
