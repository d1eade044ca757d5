/**
 * Many tenants: admissions named by an entity and a resource, consumed atomically from the entity and
 * every ancestor stored with it in the limits store (`app > customer > user`), with capacity and usage
 * per entity. The Redis layer lives in `effect-governor/redis` (`layerTenantLimiter`), so this module
 * never loads ioredis.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export { TenantLimiter, type TenantLimiterShape } from "./tenants/TenantLimiter.js"
/** @since 0.1.0 */
export { layerMemory, makeMemory, type MemoryTenantOptions } from "./tenants/memory.js"
/** @since 0.1.0 */
export { InvalidTenantLimiterOptions, type TenantLimiterOptions } from "./tenants/options.js"
/** @since 0.1.0 */
export type {
  Capacity,
  LevelCapacity,
  LevelOf,
  TenantAcquireOptions,
  TenantLease,
  TenantLeaseOptions,
  TenantPermit,
  Usage,
  UsageRow
} from "./tenants/models.js"
/** @since 0.1.0 */
export { levelKey } from "./tenants/keys.js"
/** @since 0.1.0 */
export { CurrentEntity, make as makeClients, NoEntity, type TenantClients, type TenantClientsOptions, withEntity } from "./tenants/clients.js"
