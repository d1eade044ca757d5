/**
 * The `RateLimiter` service: the contract every store (memory, Redis) implements and every consumer
 * (the resilient client, the adaptive controller, user code) depends on.
 *
 * @since 0.1.0
 */
import { Context, type Duration, type Effect, type Scope } from "effect"
import type { AcquireError, InvalidPacing, RateLimiterUnavailable } from "./errors.js"
import type { Limit } from "./Limit.js"

/**
 * The key used when none is given.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_KEY = "default"

/**
 * A cost: the same amount for every applicable limit, or a map from limit name to amount
 * (`{ rpm: 1, tpm: 500 }`). Limits missing from a map cost 0; naming a limit that does not apply
 * fails with `InvalidCost`.
 *
 * @since 0.1.0
 * @category models
 */
export type Cost = number | Readonly<Record<string, number>>

/**
 * @since 0.1.0
 * @category models
 */
export interface AcquireOptions {
  /** Entity/resource key; each key has its own buckets, created on demand. Default `"default"`. */
  readonly key?: string | undefined
  /** Limits that apply to this call. Default: the limits the store was configured with. */
  readonly limits?: ReadonlyArray<Limit> | undefined
  /** Default 1. */
  readonly cost?: Cost | undefined
  /**
   * Longest the caller accepts to wait. If admission would take longer, fail at once with
   * `RateLimitExceeded` (its `retryAfter` says when there will be room). Default: wait as long as needed.
   */
  readonly maxWait?: Duration.DurationInput | undefined
}

/**
 * Proof of admission.
 *
 * @since 0.1.0
 * @category models
 */
export interface Permit {
  readonly key: string
  /** What was consumed, per limit name. */
  readonly costs: Readonly<Record<string, number>>
  /** How long this call waited for room (including cooldowns and throttling). */
  readonly waited: Duration.Duration
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LeaseOptions extends AcquireOptions {
  /**
   * Give the consumed capacity back when the scope closes with a failure or interruption
   * (the work did not reach the API). Default `false`: a failed call still spent quota.
   */
  readonly refundOnFailure?: boolean | undefined
}

/**
 * A scoped admission whose cost can be corrected once the real cost is known (LLM tokens used).
 *
 * @since 0.1.0
 * @category models
 */
export interface Lease extends Permit {
  /**
   * Set the final cost. More than consumed takes the difference now (the bucket may go into debt,
   * which later callers wait out); less gives the difference back.
   */
  readonly adjust: (cost: Cost) => Effect.Effect<void, AcquireError>
  /** The cost currently charged, per limit name. */
  readonly current: Effect.Effect<Readonly<Record<string, number>>>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LimitSnapshot {
  readonly name: string
  readonly capacity: number
  /** Tokens available now (negative while in debt after an upward `adjust`). */
  readonly tokens: number
  readonly ratePerSecond: number
  readonly window: "rolling" | "fixed"
  /** Epoch ms when the bucket is full again (rolling) or the window resets (fixed). */
  readonly fullAt: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LimiterSnapshot {
  readonly key: string
  readonly limits: ReadonlyArray<LimitSnapshot>
  /** Requests per second currently enforced: the adaptive rate when set, else the tightest limit. */
  readonly currentRate: number
  readonly rateSource: "configured" | "adaptive"
  /** Fibers waiting on this key. */
  readonly waiters: number
  /** Epoch ms until which every caller of this key is paused, or `null`. */
  readonly cooldownUntil: number | null
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LimiterStats {
  readonly acquired: number
  /** Admissions that had to wait. */
  readonly waited: number
  readonly totalWaitMs: number
  readonly rejected: number
  /** Keys with live state now. */
  readonly keys: number
  /** Idle keys evicted so far. */
  readonly evicted: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SetRateOptions {
  /** Requests allowed back to back at the adaptive rate. Default 1 (evenly spaced). */
  readonly burst?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RateLimiterShape {
  /** Wait until every applicable limit has room, then consume from all of them at once (all or none). */
  readonly acquire: (options?: AcquireOptions) => Effect.Effect<Permit, AcquireError>
  /** `acquire` with `maxWait: 0`. */
  readonly tryAcquire: (options?: Omit<AcquireOptions, "maxWait">) => Effect.Effect<Permit, AcquireError>
  /** `acquire` with a per-limit cost map, e.g. `consume({ rpm: 1, tpm: 500 })`. */
  readonly consume: (
    costs: Readonly<Record<string, number>>,
    options?: Omit<AcquireOptions, "cost">
  ) => Effect.Effect<Permit, AcquireError>
  /** A scoped admission whose cost can be adjusted later; see {@link Lease}. */
  readonly lease: (options?: LeaseOptions) => Effect.Effect<Lease, AcquireError, Scope.Scope>
  /**
   * Pause every caller of `key` for `duration` (Retry-After). Extends an existing cooldown, never
   * shortens it. A duration that does not parse, is infinite or exceeds 31 days (`MAX_PACING_MS`)
   * fails with `InvalidPacing`: no caller can lock a key out for good.
   */
  readonly cooldown: (
    key: string,
    duration: Duration.DurationInput
  ) => Effect.Effect<void, InvalidPacing | RateLimiterUnavailable>
  /**
   * Enforce an extra, adjustable pace on `key` (requests per second), on top of the configured limits:
   * how the adaptive controller applies what it learned. `null` removes it. A rate that is not a
   * finite number of at least one request per 31 days (`MIN_PACING_RATE`), or a burst below 1, fails
   * with `InvalidPacing`.
   */
  readonly setRate: (
    key: string,
    ratePerSecond: number | null,
    options?: SetRateOptions
  ) => Effect.Effect<void, InvalidPacing | RateLimiterUnavailable>
  readonly snapshot: (key?: string) => Effect.Effect<LimiterSnapshot, RateLimiterUnavailable>
  readonly stats: Effect.Effect<LimiterStats>
}

/**
 * The rate limiter service. Provide it with `RateLimiter.layerMemory(...)` or a Redis layer.
 *
 * @since 0.1.0
 * @category tags
 */
export class RateLimiter extends Context.Tag("effect-governor/RateLimiter")<RateLimiter, RateLimiterShape>() {}
