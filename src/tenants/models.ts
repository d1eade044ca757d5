/**
 * What a tenant limiter takes and answers: admissions of (entity, resource), permits that say which
 * levels were crossed, capacity per level and usage over time.
 *
 * @since 0.1.0
 */
import type { Duration, Effect } from "effect"
import type { AcquireError, LimitViolation } from "../limiter/errors.js"
import type { Limit } from "../limiter/Limit.js"
import type { Cost, Lease, LimitSnapshot, Permit } from "../limiter/RateLimiter.js"
import type { LimitsSource } from "../limits/resolve.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface TenantAcquireOptions {
  /** Who the call is made for (a customer, a user); its parents come from the limits store. */
  readonly entity: string
  /** What is called (an API, an endpoint). */
  readonly resource: string
  /** Default 1; a number costs that much on every limit of every level, a map by limit name. */
  readonly cost?: Cost | undefined
  /** Longest the caller accepts to wait (see `RateLimiter.AcquireOptions.maxWait`). Default: as long as needed. */
  readonly maxWait?: Duration.DurationInput | undefined
  /** The entity's limits when the store holds none for it; default the limiter's `limits` option. */
  readonly limits?: ReadonlyArray<Limit> | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TenantLeaseOptions extends TenantAcquireOptions {
  /** Give the capacity back at every level when the scope closes with a failure. Default `false`. */
  readonly refundOnFailure?: boolean | undefined
}

/**
 * One level an admission consumed from.
 *
 * @since 0.1.0
 * @category models
 */
export interface LevelOf {
  readonly entity: string
  /** Where its limits came from (`"none"`: the fallback limits). */
  readonly source: LimitsSource
}

/**
 * A hierarchical admission: the entity's key (`entity@resource`), what it consumed, how long it
 * waited and which levels held it back while it waited (empty when admitted at once).
 *
 * @since 0.1.0
 * @category models
 */
export interface TenantPermit extends Permit {
  readonly entity: string
  readonly resource: string
  /** The entity first, the root last (ancestors without limits are not listed). */
  readonly levels: ReadonlyArray<LevelOf>
  readonly waitedOn: ReadonlyArray<LimitViolation>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TenantLease extends TenantPermit, Lease {
  /** Set the final cost at every level (more goes into debt, less is given back). */
  readonly adjust: (cost: Cost) => Effect.Effect<void, AcquireError>
}

/**
 * One level's capacity: per limit the tokens available now and when the bucket is full (`fullAt`).
 *
 * @since 0.1.0
 * @category models
 */
export interface LevelCapacity extends LevelOf {
  readonly limits: ReadonlyArray<LimitSnapshot>
  /** Epoch ms until which the level's key is paused, or `null`. */
  readonly cooldownUntil: number | null
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Capacity {
  readonly entity: string
  readonly resource: string
  /** The store's time of the reading (Redis server time on Redis). */
  readonly at: number
  readonly levels: ReadonlyArray<LevelCapacity>
}

/**
 * What an entity consumed of one limit of one resource in one interval.
 *
 * @since 0.1.0
 * @category models
 */
export interface UsageRow {
  /** Epoch ms the interval starts. */
  readonly start: number
  readonly resource: string
  readonly limit: string
  readonly amount: number
}

/**
 * An entity's consumption over `[from, to)` in intervals of `intervalMs`, oldest first (intervals
 * without consumption have no rows). Admissions at every level count: an organisation's usage is the
 * sum of what its users took.
 *
 * @since 0.1.0
 * @category models
 */
export interface Usage {
  readonly entity: string
  /** 0 when the limiter keeps no usage counters. */
  readonly intervalMs: number
  readonly from: number
  readonly to: number
  readonly rows: ReadonlyArray<UsageRow>
}
