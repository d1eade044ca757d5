/**
 * The `TenantLimiter` service: admissions named by an entity and a resource, consumed atomically from
 * the entity and every ancestor stored with it in the limits store (`org-1 > user-42`,
 * `app > customer > user`), each level with the limits resolved for it (entity override, resource
 * default, system default). A refusal names the levels that blocked (`RateLimitExceeded.violations`);
 * `capacity` and `usage` read what is left and what was consumed.
 *
 * The memory layer is `Tenants.layerMemory`; on Redis, `layerTenantLimiter` from
 * `effect-governor/redis` (one script call per admission, every key of a hierarchy under its root's
 * hash tag). Both need a `LimitsResolver`.
 *
 * @since 0.1.0
 */
import { Context, type Duration, Effect } from "effect"
import type { Scope } from "effect"
import type { AcquireError, InvalidPacing, RateLimiterUnavailable } from "../limiter/errors.js"
import type { Limit } from "../limiter/Limit.js"
import {
  type AcquireOptions,
  DEFAULT_KEY,
  type LimiterSnapshot,
  type LimiterStats,
  type RateLimiterShape,
  type SetRateOptions
} from "../limiter/RateLimiter.js"
import type { Engine } from "./engine.js"
import { acquireLevels, leaseLevels } from "./engine.js"
import * as Inspect from "./inspect.js"
import type { Capacity, TenantAcquireOptions, TenantLease, TenantLeaseOptions, TenantPermit, Usage } from "./models.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface TenantLimiterShape {
  /** Wait until every level has room, then consume from all of them at once (all or none). */
  readonly acquire: (options: TenantAcquireOptions) => Effect.Effect<TenantPermit, AcquireError>
  /** A scoped admission whose cost is corrected later at every level. */
  readonly lease: (options: TenantLeaseOptions) => Effect.Effect<TenantLease, AcquireError, Scope.Scope>
  /** Tokens available now per limit at every level, and when each is full. */
  readonly capacity: (
    entity: string,
    resource: string,
    options?: { readonly limits?: ReadonlyArray<Limit> | undefined }
  ) => Effect.Effect<Capacity, AcquireError>
  /** The entity's consumption over the last `window` (default 1 hour), per interval, resource and limit. */
  readonly usage: (entity: string, window?: Duration.DurationInput) => Effect.Effect<Usage, RateLimiterUnavailable>
  /** Pause `entity` calling `resource` (its own key, not its ancestors) for `duration`. */
  readonly cooldown: (
    entity: string,
    resource: string,
    duration: Duration.DurationInput
  ) => Effect.Effect<void, InvalidPacing | RateLimiterUnavailable>
  /**
   * The calls of one resource as a `RateLimiter`: the call's `key` is the entity, its `limits` the
   * fallback when nothing is stored for it. Give it to a `ResilientClient` (as its `RateLimiter`) with
   * `key: () => entity`: its 429s then cool that entity's key only.
   */
  readonly forResource: (resource: string, options?: { readonly limits?: ReadonlyArray<Limit> | undefined }) => RateLimiterShape
  readonly stats: Effect.Effect<LimiterStats>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class TenantLimiter extends Context.Tag("effect-governor/TenantLimiter")<TenantLimiter, TenantLimiterShape>() {}

const stats = (e: Engine): Effect.Effect<LimiterStats> => Effect.sync(() => ({ ...e.counters, keys: 0, evicted: 0 }))

/** The `RateLimiter` view of one resource (see {@link TenantLimiterShape.forResource}). */
const forResource = (e: Engine, resource: string, fallback: ReadonlyArray<Limit> | undefined): RateLimiterShape => {
  const options = (o: AcquireOptions | undefined, maxWait: Duration.DurationInput | undefined): TenantAcquireOptions => ({
    entity: o?.key ?? DEFAULT_KEY,
    resource,
    cost: o?.cost,
    maxWait,
    limits: o?.limits ?? fallback
  })
  const acquire = (o: AcquireOptions | undefined, maxWait: Duration.DurationInput | undefined) =>
    Effect.map(acquireLevels(e, options(o, maxWait)), (a) => a.permit)
  return {
    acquire: (o) => acquire(o, o?.maxWait),
    tryAcquire: (o) => acquire(o, 0),
    consume: (costs, o) => acquire({ ...o, cost: costs }, o?.maxWait),
    lease: (o) => leaseLevels(e, { ...options(o, o?.maxWait), refundOnFailure: o?.refundOnFailure }),
    cooldown: (key, duration) => Inspect.cooldown(e, key, resource, duration),
    setRate: (key, rate, o?: SetRateOptions) => Inspect.setRate(e, key, resource, rate, o?.burst ?? 1),
    snapshot: (key = DEFAULT_KEY): Effect.Effect<LimiterSnapshot, RateLimiterUnavailable> => Inspect.snapshot(e, key, resource),
    stats: stats(e)
  }
}

/**
 * The service over an engine (built by the memory and Redis layers).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromEngine = (e: Engine): TenantLimiterShape => ({
  acquire: (o) => Effect.map(acquireLevels(e, o), (a) => a.permit),
  lease: (o) => leaseLevels(e, o),
  capacity: (entity, resource, o) => Inspect.capacity(e, entity, resource, o?.limits),
  usage: (entity, window = "1 hour") => Inspect.usage(e, entity, window),
  cooldown: (entity, resource, duration) => Inspect.cooldown(e, entity, resource, duration),
  forResource: (resource, o) => forResource(e, resource, o?.limits),
  stats: stats(e)
})
