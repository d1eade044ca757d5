/**
 * The memory store: the buckets of every key in this process, bounded by an LRU.
 *
 * **Memory bound.** Keys are created on demand and evicted when idle: all buckets full again with no
 * cooldown, pacing, adaptive rate, waiter or lease (nothing would be lost), or untouched for
 * `idleTimeout`. Eviction is amortised: each new key checks the two least-recently-used keys. At most
 * `maxKeys` keys are kept: when full, the least-recently-used idle key goes, else the
 * least-recently-used key without waiters (forgetting its state can only make the limiter more
 * lenient for that key). Keys with waiting fibers are never evicted, so the bound is `maxKeys` plus
 * the keys that currently have waiters. A key with one limit holds about 500 bytes of heap (the bench:
 * 100,000 keys ≈ 46 MB).
 *
 * Everything here is synchronous (JavaScript runs one fiber at a time, so a synchronous section is
 * atomic); {@link MemoryStore.store} is the same state behind the `LimiterStore` interface.
 *
 * @since 0.1.0
 * @internal
 */
import { Effect, Equal } from "effect"
import { Lru } from "../internal/lru.js"
import {
  batchSize,
  blockedBy,
  holdDuringCooldown,
  type KeyBucket,
  makeKeyBucket,
  type Policy,
  reserve,
  setAdaptive,
  takeBatch,
  tryAdmit,
  waitFor
} from "./admission.js"
import * as Bucket from "./bucket.js"
import { admitted, type Decision, type LimiterStore, type Reservation } from "./LimiterStore.js"
import type { LimitSet, Request } from "./request.js"
import type { Peek } from "./snapshot.js"
import type { Line, Waiter } from "./waitQueue.js"

/**
 * The state of one key: its buckets, what paces it, its line of waiters, its place in the LRU.
 *
 * @since 0.1.0
 * @category models
 */
export class KeyState implements Line {
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

/** Whether nothing would be lost by forgetting `st` (see the module docs). */
const isIdle = (st: KeyState, now: number, idleTimeoutMs: number): boolean => {
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

/** Same name, another `Limit` instance: adopt it; keep the tokens unless it is a different limit. */
const adopt = (b: KeyBucket, spec: Bucket.BucketSpec, now: number): void => {
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

/**
 * The buckets of `st` for `set`, in the set's order (created on first use, one per limit name).
 *
 * @since 0.1.0
 * @category keys
 */
export const viewFor = (st: KeyState, set: LimitSet, now: number): ReadonlyArray<KeyBucket> => {
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
      adopt(b, spec, now)
    }
    view.push(b)
  }
  st.viewSet = set
  st.view = view
  return view
}

/**
 * The keys of a memory store in least-recently-used order (the shared intrusive {@link Lru}: O(1)
 * touch and eviction), with the most recently touched key cached (repeated calls skip the map).
 *
 * @since 0.1.0
 * @category models
 */
export class KeyTable {
  private readonly lru = new Lru<KeyState>()
  private last: KeyState | undefined
  evicted = 0
  constructor(readonly maxKeys: number, readonly idleTimeoutMs: number) {}

  /** How many keys are held. */
  get size(): number {
    return this.lru.size
  }

  /** The state of `key` if held, without marking it used. */
  get(key: string): KeyState | undefined {
    return this.lru.get(key)
  }

  private evict(st: KeyState): void {
    this.lru.remove(st)
    if (st === this.last) this.last = undefined
    this.evicted++
  }

  /** Amortised sweep: look at the `n` least-recently-used keys, drop the idle ones. */
  private sweep(now: number, n: number): void {
    let st = this.lru.oldest()
    for (let i = 0; i < n && st !== null; i++) {
      const next: KeyState | null = st.next
      if (isIdle(st, now, this.idleTimeoutMs)) this.evict(st)
      st = next
    }
  }

  /** At the bound: evict the LRU idle key among the oldest few, else the LRU key without waiters. */
  private evictForRoom(now: number): void {
    let victim: KeyState | null = null
    let seen = 0
    for (let st = this.lru.oldest(); st !== null; st = st.next) {
      if (st.waiting > 0) continue
      if (isIdle(st, now, this.idleTimeoutMs)) {
        victim = st
        break
      }
      if (victim === null) victim = st
      if (++seen >= 8) break
    }
    if (victim !== null) this.evict(victim)
  }

  /** The state of `key`, created if needed, marked as used now. */
  touch(key: string, now: number): KeyState {
    const last = this.last
    if (last !== undefined && last.key === key) {
      last.touchedAt = now
      return last
    }
    let st = this.lru.use(key)
    if (st === undefined) {
      if (this.lru.size >= this.maxKeys) this.evictForRoom(now)
      else this.sweep(now, 2)
      st = new KeyState(key, now)
      this.lru.add(st)
    }
    this.last = st
    st.touchedAt = now
    return st
  }
}

/**
 * Apply `deltas` to the buckets of `view`: positive takes (possibly into debt), negative gives back.
 * Returns whether anything was given back.
 *
 * @since 0.1.0
 * @category store
 */
export const applyDeltas = (view: ReadonlyArray<KeyBucket>, deltas: ReadonlyArray<number>, now: number): boolean => {
  let refunded = false
  for (let i = 0; i < view.length; i++) {
    const d = deltas[i]!
    const b = view[i]!
    if (d > 0) Bucket.take(b.spec, b, d, now)
    else if (d < 0) {
      Bucket.give(b.spec, b, -d, now)
      refunded = true
    }
  }
  return refunded
}

/**
 * Pause `st` until `until` (extends only) and hold its adaptive pace back for the pause.
 *
 * @since 0.1.0
 * @category store
 */
export const pause = (st: KeyState, until: number, now: number): void => {
  if (until > st.cooldownUntil) st.cooldownUntil = until
  if (st.adaptive !== null) holdDuringCooldown(st.adaptive, st.cooldownUntil, now)
}

/**
 * Set or remove the adaptive pace of `st`. Returns whether anything changed.
 *
 * @since 0.1.0
 * @category store
 */
export const pace = (st: KeyState, rate: number | null, burst: number, now: number): boolean => {
  if (rate === null) {
    if (st.adaptive === null) return false
    st.adaptive = null
    st.adaptiveRate = 0
    return true
  }
  if (st.adaptive !== null && st.adaptiveRate === rate && st.adaptive.spec.capacity === burst) return false
  setAdaptive(st, rate, burst, now)
  st.adaptiveRate = rate
  return true
}

/**
 * What `st` holds now, for a snapshot: every bucket it has (or full buckets of `set` when none yet).
 *
 * @since 0.1.0
 * @category store
 */
export const peekState = (st: KeyState | undefined, set: LimitSet, now: number): Peek => {
  const buckets = st === undefined || st.buckets.length === 0
    ? set.specs.map((spec) => ({ spec, tokens: spec.capacity }))
    : st.buckets.map((b) => {
      Bucket.refill(b.spec, b, now)
      return { spec: b.spec, tokens: b.tokens }
    })
  return {
    now,
    buckets,
    cooldownUntil: st === undefined || st.cooldownUntil === -Infinity ? null : st.cooldownUntil,
    adaptiveRate: st === undefined || st.adaptive === null ? null : st.adaptiveRate
  }
}

/**
 * The memory store as a `LimiterStore` over `table`: each operation one synchronous section at the
 * time of the Effect clock. `acquire` and `reserve` ignore waiters (queueing is the limiter's
 * business; the memory limiter queues rather than reserves, and `reserve` is here for the seam and
 * as the reference the Redis script is tested against).
 *
 * @since 0.1.0
 * @category constructors
 */
export const store = (table: KeyTable, policy: Policy): LimiterStore<never> => ({
  acquire: (key: string, req: Request) =>
    Effect.clockWith((clock) =>
      Effect.sync((): Decision => {
        const now = clock.unsafeCurrentTimeMillis()
        const st = table.touch(key, now)
        const view = viewFor(st, req.set, now)
        if (tryAdmit(policy, st, view, req, now)) return admitted
        return { admitted: false, waitMs: waitFor(st, view, req, now), blockedBy: blockedBy(st, view, req, now) }
      })
    ),
  reserve: (key, req, options) =>
    Effect.clockWith((clock) =>
      Effect.sync((): Reservation => {
        const now = clock.unsafeCurrentTimeMillis()
        const st = table.touch(key, now)
        const view = viewFor(st, req.set, now)
        const count = batchSize(policy, st, view, req, now, options.batch ?? 1)
        if (count > 1) {
          takeBatch(view, req, count, now)
          return { admitted: true, waitMs: 0, count }
        }
        const waitMs = reserve(policy, st, view, req, now, options.maxWaitMs)
        if (waitMs >= 0) return { admitted: true, waitMs, count: 1 }
        return { admitted: false, waitMs: waitFor(st, view, req, now), blockedBy: blockedBy(st, view, req, now) }
      })
    ),
  adjust: (key, set, deltas) =>
    Effect.clockWith((clock) =>
      Effect.sync(() => {
        const now = clock.unsafeCurrentTimeMillis()
        applyDeltas(viewFor(table.touch(key, now), set, now), deltas, now)
      })
    ),
  peek: (key, set) => Effect.clockWith((clock) => Effect.sync(() => peekState(table.get(key), set, clock.unsafeCurrentTimeMillis()))),
  cooldown: (key, ms) =>
    Effect.clockWith((clock) =>
      Effect.sync(() => {
        const now = clock.unsafeCurrentTimeMillis()
        pause(table.touch(key, now), now + ms, now)
      })
    ),
  setRate: (key, rate, burst) =>
    Effect.clockWith((clock) =>
      Effect.sync(() => {
        const now = clock.unsafeCurrentTimeMillis()
        const st = rate === null ? table.get(key) : table.touch(key, now)
        if (st !== undefined) pace(st, rate, burst, now)
      })
    )
})
