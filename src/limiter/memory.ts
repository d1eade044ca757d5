/**
 * The in-memory store of the `RateLimiter` service: per-key token buckets in one process.
 *
 * **Speed.** The uncontended path (nobody waiting on the key, room in every bucket) is one
 * synchronous critical section inside `Effect.clockWith`: read the clock, refill, check, consume,
 * return the permit. No `Ref` round trips, no fibers, no allocation beyond the permit. JavaScript runs
 * one fiber at a time, so a synchronous section is atomic. A per-key FIFO queue exists only while
 * someone waits.
 *
 * **Ordering (FIFO per key).** Waiters are served strictly in arrival order: the waiter at the head
 * of a key's queue blocks everyone behind it, even a cheap request that would fit right now. That is
 * the price of fairness: a costly request (say 5,000 LLM tokens) is never starved by a stream of cheap
 * ones, which under load would otherwise always find just enough room before it does. The cost is
 * head-of-line blocking: a cheap request may wait behind a costly one for up to that one's refill time.
 * Use separate keys (or `maxWait`) where that matters.
 *
 * **Memory bound.** Keys are created on demand and evicted when idle: all buckets full again with no
 * cooldown, pacing, adaptive rate, waiter or lease (nothing would be lost), or untouched for
 * `idleTimeout`. Eviction is amortised: each new key checks the two least-recently-used keys. At most
 * `maxKeys` keys (default 100,000) are kept: when full, the least-recently-used idle key goes, else the
 * least-recently-used key without waiters (forgetting its state can only make the limiter more lenient
 * for that key). Keys with waiting fibers are never evicted, so the bound is `maxKeys` plus the keys
 * that currently have waiters. A key with one limit holds about 500 bytes of heap (measured by the
 * bench: 100,000 keys ≈ 46 MB), so the default bound is about 50 MB.
 *
 * @since 0.1.0
 */
import { Deferred, Duration, Effect, Either, Equal, Exit, FiberId, Layer, Option, ParseResult, Schema } from "effect"
import type { Clock, Scope } from "effect"
import { MAX_REQUEST_WAIT } from "../internal/bounds.js"
import { decodeDuration } from "../internal/duration.js"
import { DurationInput, Fraction } from "../internal/schema.js"
import * as Bucket from "./bucket.js"
import { type AcquireError, CostExceedsCapacity, InvalidCost, InvalidPacing, RateLimitExceeded } from "./errors.js"
import { Limit, LimitFromJson } from "./Limit.js"
import * as Pacing from "./pacing.js"
import {
  type AcquireOptions,
  type Cost,
  DEFAULT_KEY,
  type Lease,
  type LeaseOptions,
  type LimiterSnapshot,
  type LimitSnapshot,
  type Permit,
  RateLimiter,
  type RateLimiterShape,
  type SetRateOptions
} from "./RateLimiter.js"

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

/**
 * Options of the memory store.
 *
 * @since 0.1.0
 * @category models
 */
export interface MemoryOptions {
  /** Limits applied when a call does not pass its own `limits`. Names must be unique. */
  readonly limits: ReadonlyArray<Limit>
  /**
   * Proactive throttling: once a limit has used `threshold` of its capacity (default 0.8), admissions
   * are spaced so the rest lasts until the bucket is full again / the window resets. `false` turns it off.
   */
  readonly throttle?: { readonly threshold?: number | undefined } | false | undefined
  /** Minimum gap between two admissions on the same key. Default none. */
  readonly minInterval?: Duration.DurationInput | undefined
  /** Hard bound on live keys (see the module docs). Default 100,000. */
  readonly maxKeys?: number | undefined
  /** Evict keys untouched for this long even if their buckets are not full yet. Default: never. */
  readonly idleTimeout?: Duration.DurationInput | undefined
}

/** Any `Duration.DurationInput` (a `Duration`, millis, `"1 minute"`, bigint nanos, `[s, ns]`). */
const AnyDuration = Schema.Union(
  Schema.DurationFromSelf,
  DurationInput,
  Schema.transformOrFail(Schema.Union(Schema.BigIntFromSelf, Schema.Tuple(Schema.Number, Schema.Number)), Schema.DurationFromSelf, {
    strict: true,
    decode: (input, _, ast) =>
      Option.match(decodeDuration(input), {
        onNone: () => ParseResult.fail(new ParseResult.Type(ast, input, "Expected a duration")),
        onSome: ParseResult.succeed
      }),
    encode: (d) => ParseResult.succeed(Duration.toNanos(d).pipe(Option.getOrElse(() => BigInt(0))))
  })
)

const LimitInput = Schema.Union(Schema.typeSchema(Limit), LimitFromJson)

/**
 * The schema `layerMemory` decodes its options with; errors name the offending field.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MemoryOptionsSchema = Schema.Struct({
  limits: Schema.Array(LimitInput).pipe(
    Schema.filter((limits) => {
      const seen = new Set<string>()
      for (const [i, l] of limits.entries()) {
        if (seen.has(l.name)) return { path: [i, "name"], message: `duplicate limit name "${l.name}"` }
        seen.add(l.name)
      }
      return true
    })
  ),
  throttle: Schema.optionalWith(
    Schema.Union(Schema.Literal(false), Schema.Struct({ threshold: Schema.optionalWith(Fraction, { default: () => 0.8 }) })),
    { default: () => ({ threshold: 0.8 }) }
  ),
  minInterval: Schema.optionalWith(
    AnyDuration.pipe(
      Schema.filter((d) => Duration.lessThanOrEqualTo(d, MAX_REQUEST_WAIT), {
        message: (issue) =>
          `Expected a duration from 0 to ${Duration.format(MAX_REQUEST_WAIT)}, got ${Duration.format(issue.actual as Duration.Duration)}`
      })
    ),
    { default: () => Duration.zero }
  ),
  maxKeys: Schema.optionalWith(
    Schema.Number.pipe(
      Schema.filter((n) => Number.isSafeInteger(n) && n >= 1, {
        message: (issue) => `Expected a whole number >= 1, got ${String(issue.actual)}`
      })
    ),
    { default: () => 100_000 }
  ),
  idleTimeout: Schema.optionalWith(AnyDuration, { default: () => Duration.infinity })
})

// ---------------------------------------------------------------------------------------------
// Internal model
// ---------------------------------------------------------------------------------------------

/** A bucket of one key: its compiled limit plus its mutable state. */
interface KeyBucket extends Bucket.BucketState {
  spec: Bucket.BucketSpec
}

/** A list of limits compiled once (cached per array instance). */
interface LimitSet {
  readonly specs: ReadonlyArray<Bucket.BucketSpec>
  readonly names: ReadonlyArray<string>
  readonly index: ReadonlyMap<string, number>
  /** The cost-1 request, when every capacity is >= 1. */
  readonly unit: Req | undefined
  /** Slowest sustained rate among the limits, requests/second. */
  readonly tightest: number
}

/** A resolved cost against a limit set. */
interface Req {
  readonly set: LimitSet
  readonly costs: ReadonlyArray<number>
  readonly record: Readonly<Record<string, number>>
  /** The cost as the caller gave it, for error messages (the largest per-limit cost for maps). */
  readonly amount: number
}

/** State that paces a key besides its buckets (cooldown, throttle/minInterval, adaptive rate). */
interface Pacer {
  cooldownUntil: number
  paceAt: number
  adaptive: KeyBucket | null
}

interface Waiter {
  readonly req: Req
  readonly view: ReadonlyArray<KeyBucket>
  readonly since: number
  readonly deadline: number
  done: boolean
  signal: Deferred.Deferred<void> | null
}

class KeyState implements Pacer {
  cooldownUntil = -Infinity
  paceAt = -Infinity
  adaptive: KeyBucket | null = null
  adaptiveRate = 0
  /** Every bucket of this key, one per limit name. Shares the array with `view` until they differ. */
  buckets: Array<KeyBucket> = []
  viewSet: LimitSet | null = null
  view: ReadonlyArray<KeyBucket> = []
  queue: Array<Waiter> | null = null
  qHead = 0
  waiting = 0
  leases = 0
  touchedAt: number
  prev: KeyState | null = null
  next: KeyState | null = null
  readonly key: string
  constructor(key: string, now: number) {
    this.key = key
    this.touchedAt = now
  }
}

const makeKeyBucket = (spec: Bucket.BucketSpec, now: number): KeyBucket => {
  const s = Bucket.make(spec, now) as KeyBucket
  s.spec = spec
  return s
}

const setCache = new WeakMap<ReadonlyArray<Limit>, LimitSet | string>()

const compileSet = (limits: ReadonlyArray<Limit>): LimitSet | string => {
  let set = setCache.get(limits)
  if (set !== undefined) return set
  const index = new Map<string, number>()
  const specs: Array<Bucket.BucketSpec> = []
  let tightest = Infinity
  for (const limit of limits) {
    if (!(limit instanceof Limit)) {
      set = "limits must be Limit values (use Limit.perSecond, Limit.custom, Limit.decode…)"
      break
    }
    if (index.has(limit.name)) {
      set = `duplicate limit name "${limit.name}" in limits`
      break
    }
    index.set(limit.name, specs.length)
    specs.push(Bucket.compile(limit))
    tightest = Math.min(tightest, limit.ratePerSecond)
  }
  if (set === undefined) {
    const names = specs.map((s) => s.name)
    const partial: { -readonly [K in keyof LimitSet]: LimitSet[K] } = { specs, names, index, unit: undefined, tightest }
    if (specs.every((s) => s.capacity >= 1)) {
      partial.unit = {
        set: partial,
        costs: specs.map(() => 1),
        record: Object.freeze(Object.fromEntries(names.map((n) => [n, 1]))),
        amount: 1
      }
    }
    set = partial
  }
  setCache.set(limits, set)
  return set
}

/**
 * The `InvalidCost` reason for a `maxWait` that is not a duration >= 0.
 *
 * @internal
 */
export const maxWaitReason = (maxWait: unknown): string =>
  `maxWait must be a duration >= 0 (milliseconds, "2 seconds", a Duration), got ${
    typeof maxWait === "string" ? JSON.stringify(maxWait) : String(maxWait)
  }`

const invalidAmount = (n: unknown): boolean => typeof n !== "number" || !Number.isFinite(n) || n < 0

/** Resolve a cost against a set: `InvalidCost` for bad numbers or unknown names. */
const resolveCost = (key: string, set: LimitSet, cost: Cost | undefined): Req | InvalidCost => {
  if (cost === undefined || cost === 1) {
    if (set.unit !== undefined) return set.unit
  }
  const amountOrMap = cost ?? 1
  const costs: Array<number> = new Array(set.specs.length).fill(0)
  const record: Record<string, number> = {}
  let amount = 0
  if (typeof amountOrMap === "number") {
    if (invalidAmount(amountOrMap)) {
      return new InvalidCost({ key, reason: `cost must be a finite number >= 0, got ${String(amountOrMap)}` })
    }
    for (let i = 0; i < costs.length; i++) {
      costs[i] = amountOrMap
      record[set.names[i]!] = amountOrMap
    }
    amount = amountOrMap
  } else {
    if (amountOrMap === null || typeof amountOrMap !== "object") {
      return new InvalidCost({ key, reason: `cost must be a number or a map of limit name to number` })
    }
    for (const name of Object.keys(amountOrMap)) {
      const i = set.index.get(name)
      if (i === undefined) {
        return new InvalidCost({
          key,
          reason: `limit "${name}" does not apply here (applicable: ${set.names.map((n) => `"${n}"`).join(", ") || "none"})`
        })
      }
      const v = amountOrMap[name]
      if (invalidAmount(v)) {
        return new InvalidCost({ key, reason: `cost of "${name}" must be a finite number >= 0, got ${String(v)}` })
      }
      costs[i] = v!
      record[name] = v!
      if (v! > amount) amount = v!
    }
  }
  return { set, costs, record: Object.freeze(record), amount }
}

const capacityError = (key: string, req: Req): CostExceedsCapacity | undefined => {
  const specs = req.set.specs
  for (let i = 0; i < specs.length; i++) {
    if (req.costs[i]! > specs[i]!.capacity) {
      return new CostExceedsCapacity({ key, limit: specs[i]!.name, cost: req.costs[i]!, capacity: specs[i]!.capacity })
    }
  }
  return undefined
}

/** Milliseconds from `now` until `req` may be admitted on this pacer + buckets (0 = now). */
const waitFor = (p: Pacer, view: ReadonlyArray<KeyBucket>, req: Req, now: number): number => {
  let wait = p.cooldownUntil > now ? p.cooldownUntil - now : 0
  if (p.paceAt - now > wait) wait = p.paceAt - now
  for (let i = 0; i < view.length; i++) {
    const b = view[i]!
    const w = Bucket.timeUntil(b.spec, b, req.costs[i]!, now)
    if (w > wait) wait = w
  }
  if (p.adaptive !== null) {
    const w = Bucket.timeUntil(p.adaptive.spec, p.adaptive, 1, now)
    if (w > wait) wait = w
  }
  return wait
}

/** Names of what stands in the way of `req` at `now`. */
const violated = (st: KeyState, view: ReadonlyArray<KeyBucket>, req: Req, now: number): Array<string> => {
  const names: Array<string> = []
  for (let i = 0; i < view.length; i++) {
    const b = view[i]!
    if (!Bucket.fits(b.spec, b, req.costs[i]!, now)) names.push(b.spec.name)
  }
  if (st.adaptive !== null && !Bucket.fits(st.adaptive.spec, st.adaptive, 1, now)) names.push("adaptive")
  if (st.cooldownUntil > now) names.push("cooldown")
  if (st.paceAt > now) names.push("pacing")
  return names
}

// ---------------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------------

const NO_WAIT = Duration.zero

/**
 * Build a memory store. Fails with a `ParseError` naming the field when the options are invalid.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limit, RateLimiter } from "effect-governor"
 *
 * const program = Effect.gen(function*() {
 *   const limiter = yield* RateLimiter.makeMemory({ limits: [Limit.perSecond("api", 10)] })
 *   yield* limiter.acquire({ key: "user-1" })
 * })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory = (options: MemoryOptions): Effect.Effect<RateLimiterShape, ParseResult.ParseError> =>
  Effect.map(Schema.decodeUnknown(MemoryOptionsSchema)(options), unsafeMakeMemory)

const unsafeMakeMemory = (config: typeof MemoryOptionsSchema.Type): RateLimiterShape => {
  const defaultSet = compileSet(config.limits) as LimitSet
  const threshold = config.throttle === false ? 0 : config.throttle.threshold
  const throttling = config.throttle !== false
  const minIntervalMs = Duration.toMillis(config.minInterval)
  const idleTimeoutMs = Duration.toMillis(config.idleTimeout)
  const maxKeys = config.maxKeys

  const keys = new Map<string, KeyState>()
  // Least-recently-used order as an intrusive doubly linked list (O(1) touch and eviction; deleting
  // from the front of a JS Map and iterating it again degrades as deleted slots pile up).
  let lruHead: KeyState | null = null
  let lruTail: KeyState | null = null
  // The most recently touched key: repeated calls on one key skip the map entirely.
  let lastTouched: KeyState | undefined
  let lastKey: string | undefined
  let acquired = 0
  let waitedCount = 0
  let totalWaitMs = 0
  let rejected = 0
  let evicted = 0

  // --- keys and eviction ---------------------------------------------------------------------

  const unlink = (st: KeyState): void => {
    if (st.prev !== null) st.prev.next = st.next
    else lruHead = st.next
    if (st.next !== null) st.next.prev = st.prev
    else lruTail = st.prev
    st.prev = st.next = null
  }

  const append = (st: KeyState): void => {
    st.prev = lruTail
    st.next = null
    if (lruTail !== null) lruTail.next = st
    else lruHead = st
    lruTail = st
  }

  const evict = (st: KeyState): void => {
    unlink(st)
    keys.delete(st.key)
    if (st === lastTouched) lastTouched = lastKey = undefined
    evicted++
  }

  const isIdle = (st: KeyState, now: number): boolean => {
    if (st.waiting > 0 || st.leases > 0) return false
    if (now - st.touchedAt >= idleTimeoutMs) return true
    if (st.cooldownUntil > now || st.paceAt > now || st.adaptive !== null) return false
    const buckets = st.buckets
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i]!
      Bucket.refill(b.spec, b, now)
      if (b.tokens < b.spec.capacity) return false
    }
    return true
  }

  /** Amortised sweep: look at the `n` least-recently-used keys, drop the idle ones. */
  const sweep = (now: number, n: number): void => {
    let st = lruHead
    for (let i = 0; i < n && st !== null; i++) {
      const next: KeyState | null = st.next
      if (isIdle(st, now)) evict(st)
      st = next
    }
  }

  /** At the bound: evict the LRU idle key among the oldest few, else the LRU key without waiters. */
  const evictForRoom = (now: number): void => {
    let victim: KeyState | null = null
    let seen = 0
    for (let st = lruHead; st !== null; st = st.next) {
      if (st.waiting > 0) continue
      if (isIdle(st, now)) {
        victim = st
        break
      }
      if (victim === null) victim = st
      if (++seen >= 8) break
    }
    if (victim !== null) evict(victim)
  }

  const touch = (key: string, now: number): KeyState => {
    let st = keys.get(key)
    if (st === undefined) {
      if (keys.size >= maxKeys) evictForRoom(now)
      else sweep(now, 2)
      st = new KeyState(key, now)
      keys.set(key, st)
      append(st)
    } else if (st !== lruTail) {
      unlink(st)
      append(st)
    }
    lastTouched = st
    lastKey = key
    st.touchedAt = now
    return st
  }

  /** The key's buckets for `set`, in the set's order (created on first use, one per limit name). */
  const viewFor = (st: KeyState, set: LimitSet, now: number): ReadonlyArray<KeyBucket> => {
    if (st.viewSet === set) return st.view
    if (st.viewSet === null && st.buckets.length === 0) {
      const fresh = set.specs.map((spec) => makeKeyBucket(spec, now))
      st.buckets = fresh
      st.view = fresh
      st.viewSet = set
      return fresh
    }
    if (st.buckets === st.view) st.buckets = st.buckets.slice()
    const view: Array<KeyBucket> = []
    for (const spec of set.specs) {
      let b = st.buckets.find((x) => x.spec.name === spec.name)
      if (b === undefined) {
        b = makeKeyBucket(spec, now)
        st.buckets.push(b)
      } else if (b.spec !== spec) {
        // Same name, another Limit instance: adopt it; keep the tokens if it is a different limit.
        Bucket.refill(b.spec, b, now)
        const same = Equal.equals(b.spec.limit, spec.limit)
        b.spec = spec
        if (!same) {
          const fresh = Bucket.make(spec, now)
          b.tokens = Math.min(b.tokens, spec.capacity)
          b.windowStart = fresh.windowStart
          b.windowEnd = fresh.windowEnd
          b.updatedAt = now
        }
      }
      view.push(b)
    }
    st.viewSet = set
    st.view = view
    return view
  }

  // --- admission -----------------------------------------------------------------------------

  /** Take `req` from every bucket, then set the pacing that follows this admission. */
  const commit = (p: Pacer, view: ReadonlyArray<KeyBucket>, req: Req, now: number): void => {
    let pace = minIntervalMs > 0 ? now + minIntervalMs : -Infinity
    for (let i = 0; i < view.length; i++) {
      const b = view[i]!
      const cost = req.costs[i]!
      Bucket.refill(b.spec, b, now)
      const before = b.tokens
      b.tokens = before - cost
      if (throttling) {
        const gap = Bucket.throttleGap(b.spec, b, before, cost, threshold, now)
        if (gap > 0 && now + gap > pace) pace = now + gap
      }
    }
    if (p.adaptive !== null) Bucket.take(p.adaptive.spec, p.adaptive, 1, now)
    if (pace > p.paceAt) p.paceAt = pace
  }

  /** Admit now if nothing stands in the way (the synchronous fast path). */
  const tryAdmit = (st: KeyState, view: ReadonlyArray<KeyBucket>, req: Req, now: number): boolean => {
    if (st.cooldownUntil > now || st.paceAt > now) return false
    const costs = req.costs
    for (let i = 0; i < view.length; i++) {
      const b = view[i]!
      if (!Bucket.fits(b.spec, b, costs[i]!, now)) return false
    }
    if (st.adaptive !== null && !Bucket.fits(st.adaptive.spec, st.adaptive, 1, now)) return false
    commit(st, view, req, now)
    return true
  }

  /**
   * When `req` would be admitted if it joined the queue now: replays the queued waiters on a copy of
   * the key's state (each admitted as early as its turn and the buckets allow), then `req`.
   */
  const planAhead = (st: KeyState, view: ReadonlyArray<KeyBucket>, req: Req, now: number, upTo?: Waiter): number => {
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
      cooldownUntil: st.cooldownUntil,
      paceAt: st.paceAt,
      adaptive: st.adaptive === null ? null : copy(st.adaptive)
    }
    let t = now
    const queue = st.queue
    if (queue !== null) {
      for (let i = st.qHead; i < queue.length; i++) {
        const w = queue[i]!
        if (w === upTo) break
        if (w.done) continue
        const v = w.view.map(copy)
        t += waitFor(sim, v, w.req, t)
        if (!Number.isFinite(t)) return Infinity
        commit(sim, v, w.req, t)
      }
    }
    return t + waitFor(sim, view.map(copy), req, t) - now
  }

  // --- the queue -----------------------------------------------------------------------------

  const head = (st: KeyState): Waiter | undefined => {
    const q = st.queue
    if (q === null) return undefined
    while (st.qHead < q.length && q[st.qHead]!.done) st.qHead++
    return q[st.qHead]
  }

  const kick = (st: KeyState): void => {
    const h = head(st)
    if (h !== undefined && h.signal !== null) {
      const signal = h.signal
      h.signal = null
      Deferred.unsafeDone(signal, Exit.void)
    }
  }

  const leave = (st: KeyState, w: Waiter): void => {
    if (w.done) return
    const wasHead = head(st) === w
    w.done = true
    st.waiting--
    if (st.waiting === 0) {
      st.queue = null
      st.qHead = 0
      return
    }
    const q = st.queue!
    if (st.qHead > 64 && st.qHead * 2 > q.length) {
      st.queue = q.slice(st.qHead)
      st.qHead = 0
    }
    if (wasHead) kick(st)
  }

  const exceeded = (key: string, st: KeyState, view: ReadonlyArray<KeyBucket>, req: Req, now: number, retryMs: number) => {
    rejected++
    let names = violated(st, view, req, now)
    if (names.length === 0) {
      const h = head(st)
      names = h !== undefined ? violated(st, h.view, h.req, now) : []
      if (names.length === 0) names = ["queue"]
    }
    const first = req.set.index.get(names[0]!)
    return new RateLimitExceeded({
      key,
      limits: names,
      retryAfter: Duration.millis(Math.max(0, retryMs)),
      cost: first === undefined ? req.amount : req.costs[first]!
    })
  }

  type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

  interface Admission {
    readonly key: string
    readonly st: KeyState
    readonly view: ReadonlyArray<KeyBucket>
    readonly req: Req
    readonly waitedMs: number
  }

  /** The waiting loop of one queued waiter; runs uninterruptibly except while it sleeps. */
  const waitTurn = (
    key: string,
    st: KeyState,
    w: Waiter,
    clock: Clock.Clock,
    restore: Restore
  ): Effect.Effect<Admission, RateLimitExceeded> => {
    const step: Effect.Effect<Admission, RateLimitExceeded> = Effect.suspend(() => {
      const now = clock.unsafeCurrentTimeMillis()
      if (head(st) === w) {
        const wait = waitFor(st, w.view, w.req, now)
        if (wait <= 0) {
          commit(st, w.view, w.req, now)
          leave(st, w)
          kick(st)
          return Effect.succeed({ key, st, view: w.view, req: w.req, waitedMs: now - w.since })
        }
        if (now + wait > w.deadline) {
          const error = exceeded(key, st, w.view, w.req, now, wait)
          leave(st, w)
          return Effect.fail(error)
        }
        const signal = (w.signal = Deferred.unsafeMake<void>(FiberId.none))
        return Effect.zipRight(restore(Effect.raceFirst(Effect.sleep(wait), Deferred.await(signal))), step)
      }
      if (now >= w.deadline) {
        const error = exceeded(key, st, w.view, w.req, now, planAhead(st, w.view, w.req, now, w))
        leave(st, w)
        return Effect.fail(error)
      }
      const signal = (w.signal = Deferred.unsafeMake<void>(FiberId.none))
      const turn = Deferred.await(signal)
      return Effect.zipRight(
        restore(w.deadline === Infinity ? turn : Effect.raceFirst(turn, Effect.sleep(w.deadline - now))),
        step
      )
    })
    return Effect.onInterrupt(step, () => Effect.sync(() => leave(st, w)))
  }

  const maxWaitMillis = (key: string, maxWait: Duration.DurationInput | undefined): number | InvalidCost => {
    if (maxWait === undefined) return Infinity
    const d = decodeDuration(maxWait)
    if (Option.isNone(d)) return new InvalidCost({ key, reason: maxWaitReason(maxWait) })
    return Duration.toMillis(d.value)
  }

  /**
   * The full admission, to run in an uninterruptible region (`restore` makes the waits interruptible):
   * admit at once, reject (maxWait), or queue and wait.
   */
  const admitSlow = (
    options: AcquireOptions | undefined,
    maxWait: Duration.DurationInput | undefined,
    clock: Clock.Clock,
    restore: Restore
  ): Effect.Effect<Admission, AcquireError> =>
    Effect.suspend((): Effect.Effect<Admission, AcquireError> => {
      const now = clock.unsafeCurrentTimeMillis()
      const key = options?.key ?? DEFAULT_KEY
      const set = options?.limits === undefined ? defaultSet : compileSet(options.limits)
      if (typeof set === "string") return Effect.fail(new InvalidCost({ key, reason: set }))
      const req = resolveCost(key, set, options?.cost)
      if (req instanceof InvalidCost) return Effect.fail(req)
      const tooBig = capacityError(key, req)
      if (tooBig !== undefined) return Effect.fail(tooBig)
      const maxWaitMs = maxWaitMillis(key, maxWait)
      if (typeof maxWaitMs !== "number") return Effect.fail(maxWaitMs)
      const st = touch(key, now)
      const view = viewFor(st, set, now)
      if (st.waiting === 0 && tryAdmit(st, view, req, now)) {
        return Effect.succeed<Admission>({ key, st, view, req, waitedMs: 0 })
      }
      const estimate = st.waiting === 0 ? waitFor(st, view, req, now) : planAhead(st, view, req, now)
      if (estimate > maxWaitMs) return Effect.fail(exceeded(key, st, view, req, now, estimate))
      const w: Waiter = { req, view, since: now, deadline: now + maxWaitMs, done: false, signal: null }
      if (st.queue === null) st.queue = []
      st.queue.push(w)
      st.waiting++
      return waitTurn(key, st, w, clock, restore)
    })

  const record = (a: Admission): Permit => {
    acquired++
    if (a.waitedMs > 0) {
      waitedCount++
      totalWaitMs += a.waitedMs
    }
    return { key: a.key, costs: a.req.record, waited: a.waitedMs > 0 ? Duration.millis(a.waitedMs) : NO_WAIT }
  }

  let cachedKey: string | undefined
  let cachedResult: Effect.Effect<Permit> = Effect.never

  const acquireWith = (options: AcquireOptions | undefined, maxWait: Duration.DurationInput | undefined) =>
    Effect.clockWith((clock) => {
      // Fast path: nobody waiting on the key, room everywhere, no pacing. One synchronous section.
      const now = clock.unsafeCurrentTimeMillis()
      const key = options?.key ?? DEFAULT_KEY
      const limits = options?.limits
      const set = limits === undefined ? defaultSet : compileSet(limits)
      // An invalid maxWait takes the slow path, which refuses it, even when there is room.
      const waitOk = maxWait === undefined || maxWait === 0 || Option.isSome(decodeDuration(maxWait))
      if (typeof set !== "string" && waitOk) {
        const req = options?.cost === undefined && set.unit !== undefined ? set.unit : resolveCost(key, set, options?.cost)
        if (!(req instanceof InvalidCost)) {
          const st = lastTouched !== undefined && lastKey === key ? lastTouched : touch(key, now)
          st.touchedAt = now
          if (st.waiting === 0 && capacityOk(req)) {
            const view = st.viewSet === set ? st.view : viewFor(st, set, now)
            if (tryAdmit(st, view, req, now)) {
              acquired++
              if (req !== defaultSet.unit) return Effect.succeed<Permit>({ key, costs: req.record, waited: NO_WAIT })
              // The default call on the same key yields the same immutable permit: reuse it.
              if (cachedKey !== key) {
                cachedKey = key
                cachedResult = Effect.succeed<Permit>({ key, costs: req.record, waited: NO_WAIT })
              }
              return cachedResult
            }
          }
        }
      }
      return Effect.uninterruptibleMask((restore) => Effect.map(admitSlow(options, maxWait, clock, restore), record))
    })

  const capacityOk = (req: Req): boolean => {
    if (req === req.set.unit) return true
    const specs = req.set.specs
    for (let i = 0; i < specs.length; i++) if (req.costs[i]! > specs[i]!.capacity) return false
    return true
  }

  const acquire = (options?: AcquireOptions): Effect.Effect<Permit, AcquireError> =>
    acquireWith(options, options?.maxWait)

  const tryAcquire = (options?: Omit<AcquireOptions, "maxWait">): Effect.Effect<Permit, AcquireError> =>
    acquireWith(options, 0)

  const consume = (
    costs: Readonly<Record<string, number>>,
    options?: Omit<AcquireOptions, "cost">
  ): Effect.Effect<Permit, AcquireError> => acquireWith({ ...options, cost: costs }, options?.maxWait)

  // --- leases --------------------------------------------------------------------------------

  const lease = (options?: LeaseOptions): Effect.Effect<Lease, AcquireError, Scope.Scope> =>
    Effect.clockWith((clock) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(admitSlow(options, options?.maxWait, clock, restore), (a) => {
          const permit = record(a)
          const { key, st, view } = a
          let current = a.req
          st.leases++
          const refund = (costs: ReadonlyArray<number>, now: number) => {
            for (let i = 0; i < view.length; i++) {
              if (costs[i]! > 0) Bucket.give(view[i]!.spec, view[i]!, costs[i]!, now)
            }
          }
          const adjust = (cost: Cost): Effect.Effect<void, AcquireError> =>
            Effect.clockWith((c) =>
              Effect.suspend(() => {
                const next = resolveCost(key, current.set, cost)
                if (next instanceof InvalidCost) return Effect.fail(next)
                const now = c.unsafeCurrentTimeMillis()
                let refunded = false
                for (let i = 0; i < view.length; i++) {
                  const delta = next.costs[i]! - current.costs[i]!
                  const b = view[i]!
                  if (delta > 0) Bucket.take(b.spec, b, delta, now)
                  else if (delta < 0) {
                    Bucket.give(b.spec, b, -delta, now)
                    refunded = true
                  }
                }
                current = next
                if (refunded) kick(st)
                return Effect.void
              })
            )
          const result: Lease = {
            ...permit,
            adjust,
            current: Effect.sync(() => current.record)
          }
          return Effect.as(
            Effect.addFinalizer((exit) =>
              Effect.clockWith((c) =>
                Effect.sync(() => {
                  st.leases--
                  if (options?.refundOnFailure === true && Exit.isFailure(exit)) {
                    refund(current.costs, c.unsafeCurrentTimeMillis())
                    kick(st)
                  }
                })
              )
            ),
            result
          )
        })
      )
    )

  // --- pacing controls -----------------------------------------------------------------------

  const cooldown = (key: string, duration: Duration.DurationInput): Effect.Effect<void, InvalidPacing> =>
    Effect.clockWith((clock) =>
      Effect.suspend(() => {
        const d = Pacing.cooldownMillis(key, duration)
        if (Either.isLeft(d)) return Effect.fail(d.left)
        if (d.right === 0) return Effect.void
        const now = clock.unsafeCurrentTimeMillis()
        const until = now + d.right
        const st = touch(key, now)
        if (until > st.cooldownUntil) st.cooldownUntil = until
        if (st.adaptive !== null) {
          // The pace resumes at its rate when the pause ends, not with the burst its bucket would
          // gather meanwhile: against a server whose own bucket is small, that burst alone meets the
          // wall again at once.
          Bucket.refill(st.adaptive.spec, st.adaptive, now)
          const due = 1 - (st.cooldownUntil - now) * st.adaptive.spec.ratePerMs
          if (st.adaptive.tokens > due) st.adaptive.tokens = due
        }
        return Effect.void
      })
    )

  const setRate = (
    key: string,
    ratePerSecond: number | null,
    options?: SetRateOptions
  ): Effect.Effect<void, InvalidPacing> =>
    Effect.clockWith((clock) =>
      Effect.suspend(() => {
        const now = clock.unsafeCurrentTimeMillis()
        if (ratePerSecond === null) {
          const st = keys.get(key)
          if (st !== undefined && st.adaptive !== null) {
            st.adaptive = null
            st.adaptiveRate = 0
            kick(st)
          }
          return Effect.void
        }
        const burst = options?.burst ?? 1
        const checked = Pacing.checkRate(key, ratePerSecond, burst)
        if (Either.isLeft(checked)) return Effect.fail(checked.left)
        const st = touch(key, now)
        if (st.adaptive !== null && st.adaptiveRate === ratePerSecond && st.adaptive.spec.capacity === burst) {
          return Effect.void
        }
        // Checked above; built unvalidated because a learned pace is not held to the bounds of a configured
        // limit (a refill period under 1 ms at very high rates must not become a defect).
        const spec = Bucket.compile(
          new Limit({
            name: "adaptive",
            capacity: burst,
            refillAmount: burst,
            refillPeriod: Duration.millis((burst / ratePerSecond) * 1000),
            window: { type: "rolling" }
          }, true)
        )
        if (st.adaptive === null) {
          st.adaptive = makeKeyBucket(spec, now)
        } else {
          Bucket.refill(st.adaptive.spec, st.adaptive, now)
          st.adaptive.spec = spec
          st.adaptive.tokens = Math.min(st.adaptive.tokens, burst)
          // During a cooldown the debt was set at the old rate; restated at the new one, the pace still
          // resumes when the pause ends (a slower rate must not stretch the pause beyond its bound).
          if (st.cooldownUntil > now) st.adaptive.tokens = Math.min(burst, 1 - (st.cooldownUntil - now) * spec.ratePerMs)
        }
        st.adaptiveRate = ratePerSecond
        kick(st)
        return Effect.void
      })
    )

  // --- observability -------------------------------------------------------------------------

  const limitSnapshot = (spec: Bucket.BucketSpec, state: Bucket.BucketState | undefined, now: number): LimitSnapshot => {
    let tokens = spec.capacity
    let full = now
    if (state !== undefined) {
      full = Bucket.fullAt(spec, state, now)
      tokens = state.tokens
    }
    return {
      name: spec.name,
      capacity: spec.capacity,
      tokens,
      ratePerSecond: spec.limit.ratePerSecond,
      window: spec.fixed ? "fixed" : "rolling",
      fullAt: full
    }
  }

  const snapshot = (key: string = DEFAULT_KEY): Effect.Effect<LimiterSnapshot> =>
    Effect.clockWith((clock) =>
      Effect.sync(() => {
        const now = clock.unsafeCurrentTimeMillis()
        const st = keys.get(key)
        const limits = st === undefined || st.buckets.length === 0
          ? defaultSet.specs.map((spec) => limitSnapshot(spec, undefined, now))
          : st.buckets.map((b) => limitSnapshot(b.spec, b, now))
        let configured = limits.reduce((min, l) => Math.min(min, l.ratePerSecond), Infinity)
        if (minIntervalMs > 0) configured = Math.min(configured, 1000 / minIntervalMs)
        // With an adaptive pace, a configured limit binds only while its bucket cannot admit a request
        // (e.g. an empty 3/s bucket under a 5.85/s pace enforces 3/s; a full hourly bucket does not).
        const binding = limits.reduce((min, l) => l.tokens < 1 ? Math.min(min, l.ratePerSecond) : min, Infinity)
        const adaptive = st !== undefined && st.adaptive !== null && st.adaptiveRate <= binding
        return {
          key,
          limits,
          currentRate: adaptive ? st.adaptiveRate : st !== undefined && st.adaptive !== null ? binding : configured,
          rateSource: adaptive ? "adaptive" : "configured",
          waiters: st?.waiting ?? 0,
          cooldownUntil: st !== undefined && st.cooldownUntil > now ? st.cooldownUntil : null
        }
      })
    )

  const stats = Effect.sync(() => ({
    acquired,
    waited: waitedCount,
    totalWaitMs,
    rejected,
    keys: keys.size,
    evicted
  }))

  return { acquire, tryAcquire, consume, lease, cooldown, setRate, snapshot, stats }
}

/**
 * A `RateLimiter` layer backed by memory (one process). Fails with a `ParseError` naming the field
 * when the options are invalid.
 *
 * @example
 * ```ts
 * import { Limit, RateLimiter } from "effect-governor"
 *
 * const LimiterLive = RateLimiter.layerMemory({
 *   limits: [Limit.perMinute("rpm", 500), Limit.perMinute("tpm", 30_000)],
 *   throttle: { threshold: 0.8 },
 *   minInterval: "20 millis"
 * })
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layerMemory = (options: MemoryOptions): Layer.Layer<RateLimiter, ParseResult.ParseError> =>
  Layer.effect(RateLimiter, makeMemory(options))
