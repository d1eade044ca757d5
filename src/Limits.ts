/**
 * Limits as data: entities (with parents) and resources, limits stored per level (entity override,
 * resource default, system default) and resolved with the level that applied, a per-process TTL
 * cache, a declarative limits file with plan/apply, and audit events. The Redis store is
 * `makeLimitsStore` in `effect-governor/redis`, so this module never loads ioredis.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as LimitsStore from "./limits/LimitsStore.js"
/** @since 0.1.0 */
export { layerMemory, makeMemory, type MemoryLimitsStoreOptions } from "./limits/memoryStore.js"
/** @since 0.1.0 */
export * as LimitsResolver from "./limits/LimitsResolver.js"
/** @since 0.1.0 */
export * as LimitsFile from "./limits/LimitsFile.js"
/** @since 0.1.0 */
export { type Change, type FieldDiff, fieldDiff, plan } from "./limits/plan.js"
/** @since 0.1.0 */
export { apply, applyChanges } from "./limits/apply.js"
/** @since 0.1.0 */
export { type AuditAction, type AuditEvent, type AuditQuery, DEFAULT_AUDIT_CAPACITY } from "./limits/audit.js"
/** @since 0.1.0 */
export type { CacheStats } from "./limits/ttlCache.js"
/** @since 0.1.0 */
export { type Levels, type LimitsSource, type Resolved, resolveLevels } from "./limits/resolve.js"
/** @since 0.1.0 */
export {
  ANY_RESOURCE,
  entity,
  EntityId,
  EntitySettings,
  type Entry,
  keyOf,
  resource,
  ResourceName,
  system,
  type Target
} from "./limits/model.js"
/** @since 0.1.0 */
export { InvalidHierarchy, InvalidLimitsEntry, InvalidLimitsStoreOptions, LimitsConflict, LimitsStoreError } from "./limits/errors.js"
