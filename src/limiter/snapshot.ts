/**
 * The snapshot half of the admission core: what a store peeked (tokens per limit, cooldown, adaptive
 * pace) turned into a `LimiterSnapshot`, the same way for every store. Pure, time passed in.
 *
 * @since 0.1.0
 * @internal
 */
import * as Bucket from "./bucket.js"
import type { LimiterSnapshot, LimitSnapshot } from "./RateLimiter.js"

/**
 * One bucket as peeked: its compiled limit and its tokens at the time of the peek.
 *
 * @since 0.1.0
 * @category models
 */
export interface PeekedBucket {
  readonly spec: Bucket.BucketSpec
  readonly tokens: number
}

/**
 * The state of one key as a store reads it (see `LimiterStore.peek`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Peek {
  /** The store's time of the reading (epoch ms; Redis server time for Redis). */
  readonly now: number
  readonly buckets: ReadonlyArray<PeekedBucket>
  /** Epoch ms until which the key is paused, or `null`. */
  readonly cooldownUntil: number | null
  /** The adaptive pace set by `setRate` (requests/second), or `null`. */
  readonly adaptiveRate: number | null
}

/**
 * One limit's snapshot: `fullAt` from the bucket arithmetic itself (a fixed window in debt is full
 * only after the windows that pay the debt).
 *
 * @since 0.1.0
 * @category snapshot
 */
export const limitSnapshot = (spec: Bucket.BucketSpec, tokens: number, now: number): LimitSnapshot => {
  const state = Bucket.make(spec, now)
  state.tokens = Math.min(tokens, spec.capacity)
  return {
    name: spec.name,
    capacity: spec.capacity,
    tokens,
    ratePerSecond: spec.limit.ratePerSecond,
    window: spec.fixed ? "fixed" : "rolling",
    fullAt: Bucket.fullAt(spec, state, now)
  }
}

/**
 * The rate a key is held to now. Without an adaptive pace: the tightest limit (and `minInterval`).
 * With one, a configured limit binds only while its bucket cannot admit a request (an empty 3/s
 * bucket under a 5.85/s pace enforces 3/s; a full hourly bucket does not).
 *
 * @since 0.1.0
 * @category snapshot
 */
export const currentRate = (
  limits: ReadonlyArray<LimitSnapshot>,
  minIntervalMs: number,
  adaptiveRate: number | null
): Pick<LimiterSnapshot, "currentRate" | "rateSource"> => {
  if (adaptiveRate === null) {
    let configured = limits.reduce((min, l) => Math.min(min, l.ratePerSecond), Infinity)
    if (minIntervalMs > 0) configured = Math.min(configured, 1000 / minIntervalMs)
    return { currentRate: configured, rateSource: "configured" }
  }
  const binding = limits.reduce((min, l) => l.tokens < 1 ? Math.min(min, l.ratePerSecond) : min, Infinity)
  return adaptiveRate <= binding
    ? { currentRate: adaptiveRate, rateSource: "adaptive" }
    : { currentRate: binding, rateSource: "configured" }
}

/**
 * The snapshot of `key` from what was peeked.
 *
 * @since 0.1.0
 * @category snapshot
 */
export const fromPeek = (key: string, peek: Peek, minIntervalMs: number, waiters: number): LimiterSnapshot => {
  const limits = peek.buckets.map((b) => limitSnapshot(b.spec, b.tokens, peek.now))
  return {
    key,
    limits,
    ...currentRate(limits, minIntervalMs, peek.adaptiveRate),
    waiters,
    cooldownUntil: peek.cooldownUntil !== null && peek.cooldownUntil > peek.now ? peek.cooldownUntil : null
  }
}
