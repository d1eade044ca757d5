/**
 * Pure token-bucket arithmetic. Time is always passed in (epoch milliseconds), never read, so every
 * function here is deterministic and property-tested.
 *
 * The state is a small mutable record updated in place: this code sits on the hot path of every
 * `acquire`, and allocating a new state per call would cost more than the arithmetic itself. Every
 * function first brings the state up to `now` (an idempotent refill), so callers never see a stale
 * bucket.
 *
 * - Rolling windows refill continuously at `refillAmount / refillPeriod`, capped at `capacity`.
 * - Fixed windows are full again at each window boundary (aligned to the wall clock of the limit's
 *   time zone, see {@link Limit.fixedWindowStart}); nothing comes back inside a window.
 * - Tokens may go negative ("debt") when a lease is adjusted upwards after the fact; later callers
 *   wait the debt out (a fixed window pays debt with the capacity of the following windows).
 *
 * @since 0.1.0
 */
import { Duration } from "effect"
import type { Limit } from "./Limit.js"
import { fixedWindowEnd, fixedWindowStart } from "./Limit.js"

/**
 * Tolerance for "the cost fits": `timeUntil` answers an exact float instant, but epoch milliseconds
 * near 1.7e12 only have a resolution of ~2.4e-4 ms, so the refill computed at that instant can be
 * short by that much time's worth of tokens. The slack is a microsecond of refill plus 1e-9 of the
 * capacity: far below anything measurable, far above rounding.
 */
const TOLERANCE = 1e-9
const SLACK_MS = 1e-3

/**
 * A `Limit` compiled for fast arithmetic.
 *
 * @since 0.1.0
 * @category models
 */
export interface BucketSpec {
  readonly limit: Limit
  readonly name: string
  readonly capacity: number
  readonly refillAmount: number
  readonly periodMs: number
  /** Tokens per millisecond (rolling windows). */
  readonly ratePerMs: number
  readonly fixed: boolean
  /** Absolute slack under which a cost still "fits". */
  readonly slack: number
}

/**
 * The mutable state of one bucket.
 *
 * @since 0.1.0
 * @category models
 */
export interface BucketState {
  /** Tokens available at `updatedAt` (negative while in debt). */
  tokens: number
  /** Epoch ms the state was last brought up to date. */
  updatedAt: number
  /** Fixed windows: start (inclusive) and end (exclusive) of the current window; unused for rolling. */
  windowStart: number
  windowEnd: number
}

const specCache = new WeakMap<Limit, BucketSpec>()

/**
 * Compile a `Limit` (cached per instance).
 *
 * @since 0.1.0
 * @category constructors
 */
export const compile = (limit: Limit): BucketSpec => {
  let spec = specCache.get(limit)
  if (spec === undefined) {
    const periodMs = Duration.toMillis(limit.refillPeriod)
    spec = {
      limit,
      name: limit.name,
      capacity: limit.capacity,
      refillAmount: limit.refillAmount,
      periodMs,
      ratePerMs: limit.refillAmount / periodMs,
      fixed: limit.window.type === "fixed",
      slack: limit.capacity * TOLERANCE + (limit.refillAmount / periodMs) * SLACK_MS
    }
    specCache.set(limit, spec)
  }
  return spec
}

/**
 * A full bucket at `now`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (spec: BucketSpec, now: number): BucketState => {
  const state: BucketState = { tokens: spec.capacity, updatedAt: now, windowStart: now, windowEnd: Infinity }
  if (spec.fixed) {
    state.windowStart = fixedWindowStart(spec.limit, now)
    state.windowEnd = fixedWindowEnd(spec.limit, now)
  }
  return state
}

/**
 * Bring `state` up to `now`: continuous refill (rolling) or a reset at each crossed window boundary
 * (fixed; debt is paid with the capacity of the windows crossed). A `now` earlier than the last update
 * (a clock stepping backwards) refills nothing.
 *
 * @since 0.1.0
 * @category arithmetic
 */
export const refill = (spec: BucketSpec, state: BucketState, now: number): void => {
  if (now <= state.updatedAt) return
  if (spec.fixed) {
    if (now >= state.windowEnd) {
      const start = fixedWindowStart(spec.limit, now)
      // Windows crossed; DST days are 23/25 hours, so round rather than floor.
      const crossed = Math.max(1, Math.round((start - state.windowStart) / spec.periodMs))
      const tokens = state.tokens + crossed * spec.capacity
      state.tokens = tokens > spec.capacity ? spec.capacity : tokens
      state.windowStart = start
      state.windowEnd = fixedWindowEnd(spec.limit, now)
    }
  } else if (state.tokens < spec.capacity) {
    const tokens = state.tokens + (now - state.updatedAt) * spec.ratePerMs
    state.tokens = tokens > spec.capacity ? spec.capacity : tokens
  }
  state.updatedAt = now
}

/**
 * Whether `cost` fits in the bucket at `now`.
 *
 * @since 0.1.0
 * @category arithmetic
 */
export const fits = (spec: BucketSpec, state: BucketState, cost: number, now: number): boolean => {
  refill(spec, state, now)
  return state.tokens + spec.slack >= cost
}

/**
 * Take `cost` if it fits (returns `true`), else change nothing (returns `false`).
 *
 * @since 0.1.0
 * @category arithmetic
 */
export const consume = (spec: BucketSpec, state: BucketState, cost: number, now: number): boolean => {
  refill(spec, state, now)
  if (state.tokens + spec.slack < cost) return false
  state.tokens -= cost
  return true
}

/**
 * Take `amount` unconditionally; the bucket may go into debt (negative tokens).
 *
 * @since 0.1.0
 * @category arithmetic
 */
export const take = (spec: BucketSpec, state: BucketState, amount: number, now: number): void => {
  refill(spec, state, now)
  state.tokens -= amount
}

/**
 * Take `amount` for an admission at `at` (>= `now`), booked now (a reservation): afterwards the
 * bucket holds at `at` what it would after taking `amount` then, had nothing else been taken
 * meanwhile. Rolling: the refill the capacity would cut off before `at` is given up now, so the
 * slot is not counted twice. Fixed: `at` must fall in the current window (the caller checks), where
 * taking now and taking then are the same. May go into debt.
 *
 * @since 0.1.0
 * @category arithmetic
 */
export const takeAt = (spec: BucketSpec, state: BucketState, amount: number, now: number, at: number): void => {
  refill(spec, state, now)
  if (!spec.fixed && at > now) {
    const ceiling = spec.capacity - (at - now) * spec.ratePerMs
    if (state.tokens > ceiling) state.tokens = ceiling
  }
  state.tokens -= amount
}

/**
 * Give `amount` back (a refund), never above capacity.
 *
 * @since 0.1.0
 * @category arithmetic
 */
export const give = (spec: BucketSpec, state: BucketState, amount: number, now: number): void => {
  refill(spec, state, now)
  const tokens = state.tokens + amount
  state.tokens = tokens > spec.capacity ? spec.capacity : tokens
}

/**
 * Milliseconds from `now` until `cost` tokens are available: `0` when it fits now, `Infinity` when
 * it never can (`cost > capacity`). Exact: at `now + timeUntil` the cost fits.
 *
 * @since 0.1.0
 * @category arithmetic
 */
export const timeUntil = (spec: BucketSpec, state: BucketState, cost: number, now: number): number => {
  refill(spec, state, now)
  if (state.tokens + spec.slack >= cost) return 0
  if (cost > spec.capacity) return Infinity
  if (!spec.fixed) return (cost - state.tokens) / spec.ratePerMs
  // Fixed: each boundary adds a full capacity (capped); deep debt needs several windows.
  let tokens = state.tokens
  let end = state.windowEnd
  for (let i = 0; i < 64; i++) {
    tokens = Math.min(spec.capacity, tokens + spec.capacity)
    if (tokens + spec.slack >= cost) return end - now
    end = fixedWindowEnd(spec.limit, end)
  }
  // Debt of more than 64 windows: whole periods from here (DST drift is irrelevant at that scale).
  const more = Math.ceil((cost - tokens) / spec.capacity)
  return end - now + (more - 1) * spec.periodMs
}

/**
 * Epoch ms when the bucket is full again (rolling) or its window resets (fixed; later when in debt).
 *
 * @since 0.1.0
 * @category arithmetic
 */
export const fullAt = (spec: BucketSpec, state: BucketState, now: number): number => {
  refill(spec, state, now)
  if (state.tokens >= spec.capacity) return now
  return now + timeUntil(spec, state, spec.capacity, now)
}

/**
 * The pause to impose after an admission that took `cost` from a bucket holding `tokensBefore`, when
 * proactive throttling is on with `threshold` (fraction of capacity used before pacing starts).
 * `0` while the bucket stays above `(1 - threshold) * capacity`. Past it, admissions are spaced so
 * that the remaining tokens last until the bucket is full again (rolling: the allowed rate glides
 * from `rate * capacity / (capacity - tokens)` down to the sustained rate as tokens run out) or
 * until the window resets (fixed: the remaining tokens spread evenly over the rest of the window).
 *
 * @since 0.1.0
 * @category arithmetic
 */
export const throttleGap = (
  spec: BucketSpec,
  state: BucketState,
  tokensBefore: number,
  cost: number,
  threshold: number,
  now: number
): number => {
  const floor = (1 - threshold) * spec.capacity
  if (tokensBefore - cost >= floor || cost <= 0) return 0
  if (spec.fixed) {
    if (tokensBefore <= 0) return Math.max(0, state.windowEnd - now)
    return cost * (state.windowEnd - now) / tokensBefore
  }
  const missing = spec.capacity - Math.max(0, tokensBefore)
  return cost * missing / (spec.ratePerMs * spec.capacity)
}

/**
 * All or none: take `costs[i]` from every bucket `i` if every one has room, else change nothing.
 *
 * @since 0.1.0
 * @category arithmetic
 */
export const consumeAll = (
  specs: ReadonlyArray<BucketSpec>,
  states: ReadonlyArray<BucketState>,
  costs: ArrayLike<number>,
  now: number
): boolean => {
  const n = specs.length
  for (let i = 0; i < n; i++) {
    if (!fits(specs[i]!, states[i]!, costs[i]!, now)) return false
  }
  for (let i = 0; i < n; i++) states[i]!.tokens -= costs[i]!
  return true
}

/**
 * Milliseconds until every bucket `i` has `costs[i]` tokens at once (the max over buckets: each
 * bucket only gains tokens while nothing is taken, so the latest one decides).
 *
 * @since 0.1.0
 * @category arithmetic
 */
export const timeUntilAll = (
  specs: ReadonlyArray<BucketSpec>,
  states: ReadonlyArray<BucketState>,
  costs: ArrayLike<number>,
  now: number
): number => {
  let wait = 0
  for (let i = 0; i < specs.length; i++) {
    const w = timeUntil(specs[i]!, states[i]!, costs[i]!, now)
    if (w > wait) wait = w
  }
  return wait
}
