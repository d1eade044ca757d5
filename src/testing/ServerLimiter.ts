/**
 * The simulated API's limiter: one of the server families, behind one interface (pure, epoch ms in).
 * `rate` is always the sustained limit in requests per second; a window family holds
 * `rate × window` requests per window, a bucket family `burst` at once.
 *
 * @since 0.1.0
 */
import * as FixedWindow from "./FixedWindow.js"
import * as Gcra from "./Gcra.js"
import * as Bucket from "./HiddenBucket.js"
import type { Decision, QuotaView } from "./quota.js"
import * as SlidingLog from "./SlidingLog.js"

/**
 * Which family, with its own parameters (window lengths in ms).
 *
 * @since 0.1.0
 * @category models
 */
export type Algorithm =
  | { readonly type: "token-bucket" }
  | { readonly type: "fixed-window"; readonly windowMs: number; readonly anchor: FixedWindow.Anchor }
  | { readonly type: "sliding-log"; readonly windowMs: number }
  | { readonly type: "gcra" }

/**
 * @since 0.1.0
 * @category models
 */
export type ServerLimiter =
  | { readonly _tag: "token-bucket"; readonly state: Bucket.HiddenBucket }
  | { readonly _tag: "fixed-window"; readonly state: FixedWindow.FixedWindow }
  | { readonly _tag: "sliding-log"; readonly state: SlidingLog.SlidingLog }
  | { readonly _tag: "gcra"; readonly state: Gcra.Gcra }

/**
 * Requests per window of a window family at `rate` (callers validate that it is a whole number >= 1).
 *
 * @since 0.1.0
 * @category math
 */
export const quotaOf = (rate: number, windowMs: number): number => Math.round((rate * windowMs) / 1000)

/**
 * A fresh limiter: a full bucket, no window open.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (algorithm: Algorithm, rate: number, burst: number, now: number): ServerLimiter => {
  switch (algorithm.type) {
    case "token-bucket":
      return { _tag: "token-bucket", state: Bucket.make(rate, burst, now) }
    case "fixed-window":
      return { _tag: "fixed-window", state: FixedWindow.make(quotaOf(rate, algorithm.windowMs), algorithm.windowMs, algorithm.anchor) }
    case "sliding-log":
      return { _tag: "sliding-log", state: SlidingLog.make(quotaOf(rate, algorithm.windowMs), algorithm.windowMs) }
    case "gcra":
      return { _tag: "gcra", state: Gcra.make(rate, burst) }
  }
}

/**
 * Admit or reject one request at `now`.
 *
 * @since 0.1.0
 * @category math
 */
export const take = (l: ServerLimiter, now: number): readonly [ServerLimiter, Decision] => {
  switch (l._tag) {
    case "token-bucket": {
      const [state, admitted] = Bucket.take(l.state, now)
      return [{ _tag: l._tag, state }, { admitted, retryAfterMs: admitted ? 0 : Bucket.msUntilToken(state, now) }]
    }
    case "fixed-window": {
      const [state, decision] = FixedWindow.take(l.state, now)
      return [{ _tag: l._tag, state }, decision]
    }
    case "sliding-log": {
      const [state, decision] = SlidingLog.take(l.state, now)
      return [{ _tag: l._tag, state }, decision]
    }
    case "gcra": {
      const [state, decision] = Gcra.take(l.state, now)
      return [{ _tag: l._tag, state }, decision]
    }
  }
}

/**
 * @since 0.1.0
 * @category math
 */
export const view = (l: ServerLimiter, now: number): QuotaView => {
  switch (l._tag) {
    case "token-bucket":
      return Bucket.view(l.state, now)
    case "fixed-window":
      return FixedWindow.view(l.state, now)
    case "sliding-log":
      return SlidingLog.view(l.state, now)
    case "gcra":
      return Gcra.view(l.state, now)
  }
}

/**
 * The limit in force: the sustained rate, and the most requests admitted at once (a window's quota).
 *
 * @since 0.1.0
 * @category getters
 */
export const limit = (l: ServerLimiter): { readonly rate: number; readonly burst: number } => {
  switch (l._tag) {
    case "token-bucket":
    case "gcra":
      return { rate: l.state.rate, burst: l.state.burst }
    case "fixed-window":
    case "sliding-log":
      return { rate: (l.state.quota * 1000) / l.state.windowMs, burst: l.state.quota }
  }
}

/**
 * Change the limit at `now`; window families take the new `rate × window` and have no burst.
 *
 * @since 0.1.0
 * @category math
 */
export const setLimit = (l: ServerLimiter, rate: number, burst: number, now: number): ServerLimiter => {
  switch (l._tag) {
    case "token-bucket":
      return { _tag: l._tag, state: Bucket.setLimit(l.state, rate, burst, now) }
    case "fixed-window":
      return { _tag: l._tag, state: FixedWindow.setQuota(l.state, quotaOf(rate, l.state.windowMs)) }
    case "sliding-log":
      return { _tag: l._tag, state: SlidingLog.setQuota(l.state, quotaOf(rate, l.state.windowMs)) }
    case "gcra":
      return { _tag: l._tag, state: Gcra.setLimit(l.state, rate, burst, now) }
  }
}
