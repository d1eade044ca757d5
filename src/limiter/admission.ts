/**
 * The decision half of the admission core: given the buckets of a key and what paces it (cooldown,
 * the pause after the last admission, the adaptive bucket set by `setRate`), admit a request now or
 * say how long until it can be and what stands in the way; then consume and set the pause that
 * follows (proactive throttling, `minInterval`); or book it now for later (a reservation: the
 * caller sleeps once), or admit several requests at once (a batch). Pure arithmetic on `bucket.ts`,
 * time passed in.
 *
 * The memory store runs it on its own state; the Redis script runs the same arithmetic in Lua on
 * Redis server time (the differential test in `test/redis/limiter.test.ts` holds them together).
 *
 * @since 0.1.0
 * @internal
 */
import { Duration } from "effect"
import * as Bucket from "./bucket.js"
import { Limit } from "./Limit.js"
import type { Request } from "./request.js"

/**
 * A bucket together with its compiled limit (the limit of a key may be replaced in place). Wherever a
 * request meets buckets (`view`), `view[i]` is the bucket of `req.set.specs[i]`.
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyBucket extends Bucket.BucketState {
  spec: Bucket.BucketSpec
}

/**
 * A full bucket of `spec` at `now`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeKeyBucket = (spec: Bucket.BucketSpec, now: number): KeyBucket => {
  const b = Bucket.make(spec, now) as KeyBucket
  b.spec = spec
  return b
}

/**
 * What paces a key besides its buckets. All times are epoch ms; `-Infinity` when not in force.
 *
 * @since 0.1.0
 * @category models
 */
export interface Pacer {
  /** Every caller of the key is paused until then (`cooldown`, e.g. a Retry-After). */
  cooldownUntil: number
  /** Earliest next admission (proactive throttling, `minInterval`). */
  paceAt: number
  /** The adaptive pace set by `setRate` (one token per request), or `null`. */
  adaptive: KeyBucket | null
}

/**
 * How an admission paces the next one.
 *
 * @since 0.1.0
 * @category models
 */
export interface Policy {
  /** Fraction of a limit's capacity used before proactive throttling starts; `false`: off. */
  readonly throttle: number | false
  /** Minimum gap between two admissions of a key (0: none). */
  readonly minIntervalMs: number
}

/**
 * Milliseconds from `now` until `req` may be admitted (0: now; `Infinity`: never). The latest of
 * every constraint decides: buckets only gain tokens while nothing is taken.
 *
 * @since 0.1.0
 * @category decision
 */
export const waitFor = (p: Pacer, view: ReadonlyArray<KeyBucket>, req: Request, now: number): number => {
  let wait = p.cooldownUntil > now ? p.cooldownUntil - now : 0
  if (p.paceAt - now > wait) wait = p.paceAt - now
  const buckets = Bucket.timeUntilAll(req.set.specs, view, req.costs, now)
  if (buckets > wait) wait = buckets
  if (p.adaptive !== null) {
    const w = Bucket.timeUntil(p.adaptive.spec, p.adaptive, 1, now)
    if (w > wait) wait = w
  }
  return wait
}

/**
 * Whether `req` can be admitted at `now` (the synchronous check of the fast path).
 *
 * @since 0.1.0
 * @category decision
 */
export const admissible = (p: Pacer, view: ReadonlyArray<KeyBucket>, req: Request, now: number): boolean => {
  if (p.cooldownUntil > now || p.paceAt > now) return false
  if (p.adaptive !== null && !Bucket.fits(p.adaptive.spec, p.adaptive, 1, now)) return false
  const specs = req.set.specs
  for (let i = 0; i < specs.length; i++) {
    if (!Bucket.fits(specs[i]!, view[i]!, req.costs[i]!, now)) return false
  }
  return true
}

/**
 * Names of what stands in the way of `req` at `now`: limit names, then `"adaptive"`, `"cooldown"`,
 * `"pacing"` (the same names the Redis script reports).
 *
 * @since 0.1.0
 * @category decision
 */
export const blockedBy = (p: Pacer, view: ReadonlyArray<KeyBucket>, req: Request, now: number): Array<string> => {
  const names: Array<string> = []
  for (let i = 0; i < view.length; i++) {
    const b = view[i]!
    if (!Bucket.fits(b.spec, b, req.costs[i]!, now)) names.push(b.spec.name)
  }
  if (p.adaptive !== null && !Bucket.fits(p.adaptive.spec, p.adaptive, 1, now)) names.push("adaptive")
  if (p.cooldownUntil > now) names.push("cooldown")
  if (p.paceAt > now) names.push("pacing")
  return names
}

/**
 * After an admission at `at`, booked at `now` (`at > now`: a reservation, see `Bucket.takeAt`): one
 * adaptive token, and the pause that follows (throttling, minInterval), counted from `at`.
 */
const paceAfter = (policy: Policy, p: Pacer, view: ReadonlyArray<KeyBucket>, req: Request, now: number, at: number): void => {
  let pace = policy.minIntervalMs > 0 ? at + policy.minIntervalMs : -Infinity
  const threshold = policy.throttle
  if (threshold !== false) {
    const specs = req.set.specs
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!
      const cost = req.costs[i]!
      // What the bucket held at `at`, before this admission.
      const before = view[i]!.tokens + cost + (spec.fixed ? 0 : (at - now) * spec.ratePerMs)
      const gap = Bucket.throttleGap(spec, view[i]!, before, cost, threshold, at)
      if (gap > 0 && at + gap > pace) pace = at + gap
    }
  }
  if (p.adaptive !== null) Bucket.takeAt(p.adaptive.spec, p.adaptive, 1, now, at)
  if (pace > p.paceAt) p.paceAt = pace
}

/** Take `req` from every bucket for an admission at `at`, booked at `now`, then pace the next one. */
const commitAt = (policy: Policy, p: Pacer, view: ReadonlyArray<KeyBucket>, req: Request, now: number, at: number): void => {
  const specs = req.set.specs
  for (let i = 0; i < specs.length; i++) Bucket.takeAt(specs[i]!, view[i]!, req.costs[i]!, now, at)
  paceAfter(policy, p, view, req, now, at)
}

/**
 * Take `req` from every bucket unconditionally (call when the wait is 0: the line's head, a replay),
 * then pace the next admission.
 *
 * @since 0.1.0
 * @category decision
 */
export const commit = (policy: Policy, p: Pacer, view: ReadonlyArray<KeyBucket>, req: Request, now: number): void =>
  commitAt(policy, p, view, req, now, now)

/**
 * Reserve `req`: admit it now, or book it now for `now + wait` (the buckets go into debt, the pause
 * after it counts from then) so the caller sleeps once instead of asking again. Returns the wait
 * (0: admitted now), or -1 with nothing changed when the wait is over `maxWaitMs`, a cooldown is in
 * force (it may be extended meanwhile: the caller sleeps it out and asks again), or the booked time
 * falls in a later window of a fixed limit (a window's capacity is only known once it starts). The
 * Redis script does the same in Lua.
 *
 * @since 0.1.0
 * @category decision
 */
export const reserve = (
  policy: Policy,
  p: Pacer,
  view: ReadonlyArray<KeyBucket>,
  req: Request,
  now: number,
  maxWaitMs: number
): number => {
  const wait = waitFor(p, view, req, now)
  if (wait === 0) {
    commitAt(policy, p, view, req, now, now)
    return 0
  }
  if (!(wait <= maxWaitMs) || p.cooldownUntil > now) return -1
  const at = now + wait
  // waitFor brought every bucket up to now: a fixed bucket's window is the current one.
  for (const b of view) if (b.spec.fixed && at >= b.windowEnd) return -1
  commitAt(policy, p, view, req, now, at)
  return wait
}

/**
 * How many requests of `req` (2 to `max`) can be admitted together at `now`, none of them paced:
 * every bucket has room for all of them and stays at or above the proactive throttling threshold;
 * no `minInterval`, adaptive pace, cooldown or pause in force. Otherwise 1 (decide one request as
 * usual). Changes nothing but bringing the buckets up to `now`.
 *
 * @since 0.1.0
 * @category decision
 */
export const batchSize = (policy: Policy, p: Pacer, view: ReadonlyArray<KeyBucket>, req: Request, now: number, max: number): number => {
  if (max < 2 || policy.minIntervalMs > 0 || p.adaptive !== null || p.cooldownUntil > now || p.paceAt > now) return 1
  let k = Math.floor(max)
  const specs = req.set.specs
  for (let i = 0; i < specs.length && k >= 2; i++) {
    const spec = specs[i]!
    const cost = req.costs[i]!
    const b = view[i]!
    Bucket.refill(spec, b, now)
    let room = b.tokens + spec.slack
    if (policy.throttle !== false) room = Math.min(room, b.tokens - (1 - policy.throttle) * spec.capacity)
    // A free request still needs a bucket out of debt (as tryAdmit does), else no batch.
    if (cost <= 0) {
      if (room < 0) return 1
      continue
    }
    let fit = Math.floor(room / cost)
    if (fit * cost > room) fit--
    if (fit < k) k = fit
  }
  return k >= 2 ? k : 1
}

/**
 * Take `count` requests of `req` at `now` (after {@link batchSize} said they fit, unpaced).
 *
 * @since 0.1.0
 * @category decision
 */
export const takeBatch = (view: ReadonlyArray<KeyBucket>, req: Request, count: number, now: number): void => {
  const specs = req.set.specs
  for (let i = 0; i < specs.length; i++) Bucket.take(specs[i]!, view[i]!, count * req.costs[i]!, now)
}

/**
 * Admit `req` now if nothing stands in the way (consuming it from every limit at once, all or none:
 * `Bucket.consumeAll`), else change nothing.
 *
 * @since 0.1.0
 * @category decision
 */
export const tryAdmit = (policy: Policy, p: Pacer, view: ReadonlyArray<KeyBucket>, req: Request, now: number): boolean => {
  if (p.cooldownUntil > now || p.paceAt > now) return false
  if (p.adaptive !== null && !Bucket.fits(p.adaptive.spec, p.adaptive, 1, now)) return false
  if (!Bucket.consumeAll(req.set.specs, view, req.costs, now)) return false
  paceAfter(policy, p, view, req, now, now)
  return true
}

/**
 * One request waiting in line: its request and the buckets it takes from.
 *
 * @since 0.1.0
 * @category models
 */
export interface Queued {
  readonly req: Request
  readonly view: ReadonlyArray<KeyBucket>
}

/**
 * Milliseconds from `now` until `req` would be admitted behind `ahead` (served in order, each as
 * early as the buckets allow), replayed on copies: the state of the key is not changed.
 *
 * @since 0.1.0
 * @category decision
 */
export const waitBehind = (
  policy: Policy,
  p: Pacer,
  ahead: Iterable<Queued>,
  mine: Queued,
  now: number
): number => {
  const copies = new Map<KeyBucket, KeyBucket>()
  const copy = (b: KeyBucket): KeyBucket => {
    let c = copies.get(b)
    if (c === undefined) {
      c = { ...b }
      copies.set(b, c)
    }
    return c
  }
  const sim: Pacer = {
    cooldownUntil: p.cooldownUntil,
    paceAt: p.paceAt,
    adaptive: p.adaptive === null ? null : copy(p.adaptive)
  }
  let t = now
  for (const w of ahead) {
    const view = w.view.map(copy)
    t += waitFor(sim, view, w.req, t)
    if (!Number.isFinite(t)) return Infinity
    commit(policy, sim, view, w.req, t)
  }
  return t + waitFor(sim, mine.view.map(copy), mine.req, t) - now
}

// ---------------------------------------------------------------------------------------------
// The adaptive pace (setRate) and cooldowns
// ---------------------------------------------------------------------------------------------

/**
 * The bucket of an adaptive pace: `burst` tokens refilled at `ratePerSecond`. Checked by
 * `pacing.ts` first; built unvalidated because a learned pace is not held to the bounds of a
 * configured limit (a refill period under 1 ms at very high rates must not become a defect).
 *
 * @since 0.1.0
 * @category pacing
 */
export const adaptiveSpec = (ratePerSecond: number, burst: number): Bucket.BucketSpec =>
  Bucket.compile(
    new Limit({
      name: "adaptive",
      capacity: burst,
      refillAmount: burst,
      refillPeriod: Duration.millis((burst / ratePerSecond) * 1000),
      window: { type: "rolling" }
    }, true)
  )

/**
 * Hold the adaptive bucket back so the pace resumes at its rate when a cooldown ends, not with the
 * burst it would gather meanwhile: against a server whose own bucket is small, that burst alone
 * meets the wall again at once.
 *
 * @since 0.1.0
 * @category pacing
 */
export const holdDuringCooldown = (adaptive: KeyBucket, cooldownUntil: number, now: number): void => {
  Bucket.refill(adaptive.spec, adaptive, now)
  const due = 1 - (cooldownUntil - now) * adaptive.spec.ratePerMs
  if (adaptive.tokens > due) adaptive.tokens = due
}

/**
 * Set the adaptive pace of a pacer (`null` removes it). A changed pace keeps the tokens it has (up to
 * the new burst); during a cooldown the hold is restated at the new rate, so a slower rate does not
 * stretch the pause beyond its bound.
 *
 * @since 0.1.0
 * @category pacing
 */
export const setAdaptive = (p: Pacer, ratePerSecond: number, burst: number, now: number): void => {
  const spec = adaptiveSpec(ratePerSecond, burst)
  if (p.adaptive === null) {
    p.adaptive = makeKeyBucket(spec, now)
    return
  }
  Bucket.refill(p.adaptive.spec, p.adaptive, now)
  p.adaptive.spec = spec
  p.adaptive.tokens = Math.min(p.adaptive.tokens, burst)
  if (p.cooldownUntil > now) p.adaptive.tokens = Math.min(burst, 1 - (p.cooldownUntil - now) * spec.ratePerMs)
}
