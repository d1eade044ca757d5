/**
 * The memory `RateLimiter` put together: validation and costs (`request.ts`), the memory store
 * (`memoryStore.ts`), FIFO waiting (`waitQueue.ts`), leases (`lease.ts`), snapshots (`snapshot.ts`).
 * See `memory.ts` for the options and the guarantees.
 *
 * @since 0.1.0
 * @internal
 */
import { Duration, Effect, Either, Option } from "effect"
import type { Clock, Scope } from "effect"
import { decodeDuration } from "../internal/duration.js"
import { blockedBy, type KeyBucket, type Policy, tryAdmit, waitBehind, waitFor } from "./admission.js"
import { admit, type Counters, makeCounters } from "./counters.js"
import { type AcquireError, InvalidCost, type InvalidPacing, RateLimitExceeded } from "./errors.js"
import * as Leases from "./lease.js"
import type { Limit } from "./Limit.js"
import type { LimiterStore } from "./LimiterStore.js"
import { KeyTable, type KeyState, store as memoryStore, viewFor } from "./memoryStore.js"
import * as Pacing from "./pacing.js"
import {
  type AcquireOptions,
  DEFAULT_KEY,
  type Lease,
  type LeaseOptions,
  type LimiterSnapshot,
  type Permit,
  type RateLimiterShape,
  type SetRateOptions
} from "./RateLimiter.js"
import { capacityError, compileSet, type LimitSet, maxWaitMillis, reportedCost, type Request, resolveCost } from "./request.js"
import { fromPeek } from "./snapshot.js"
import { ahead, head, join, kick, waitTurn, type Waiter } from "./waitQueue.js"

/**
 * The decoded options of the memory limiter.
 *
 * @since 0.1.0
 * @category models
 */
export interface MemorySettings {
  readonly limits: ReadonlyArray<Limit>
  readonly throttle: number | false
  readonly minIntervalMs: number
  readonly maxKeys: number
  readonly idleTimeoutMs: number
}

/** Everything one memory limiter holds. */
interface Memory {
  readonly table: KeyTable
  readonly store: LimiterStore<never>
  readonly policy: Policy
  readonly defaultSet: LimitSet
  readonly counters: Counters
  /** The permit of the last default call (same key, cost 1): immutable, so reused. */
  cachedKey: string | undefined
  cachedResult: Effect.Effect<Permit>
}

interface Admission {
  readonly key: string
  readonly st: KeyState
  readonly req: Request
  readonly waitedMs: number
}

const NO_WAIT = Duration.zero

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/** `RateLimitExceeded` for `req`; when nothing in its own way, the head of the line's blockers, else "queue". */
const exceeded = (m: Memory, key: string, st: KeyState, view: ReadonlyArray<KeyBucket>, req: Request, now: number, retryMs: number) => {
  m.counters.rejected++
  let names = blockedBy(st, view, req, now)
  if (names.length === 0) {
    const h = head(st)
    names = h !== undefined ? blockedBy(st, h.view, h.req, now) : []
    if (names.length === 0) names = ["queue"]
  }
  return new RateLimitExceeded({
    key,
    limits: names,
    retryAfter: Duration.millis(Math.max(0, retryMs)),
    cost: reportedCost(req, names)
  })
}

/** Join the line of `st` and wait for a turn, or refuse at once when the estimate exceeds `maxWaitMs`. */
const queue = (
  m: Memory,
  key: string,
  st: KeyState,
  req: Request,
  maxWaitMs: number,
  clock: Clock.Clock,
  restore: Restore
): Effect.Effect<Admission, AcquireError> => {
  const now = clock.unsafeCurrentTimeMillis()
  const view = viewFor(st, req.set, now)
  const estimate = waitBehind(m.policy, st, ahead(st), { req, view }, now)
  if (estimate > maxWaitMs) return Effect.fail(exceeded(m, key, st, view, req, now, estimate))
  const w: Waiter = { req, view, since: now, deadline: now + maxWaitMs, done: false, signal: null }
  join(st, w)
  const refuse = (at: number, waitMs: number | undefined) =>
    exceeded(m, key, st, view, req, at, waitMs ?? waitBehind(m.policy, st, ahead(st, w), w, at))
  return Effect.map(
    waitTurn(st, w, m.policy, clock, restore, refuse),
    (at): Admission => ({ key, st, req, waitedMs: at - w.since })
  )
}

/**
 * The full admission, to run in an uninterruptible region (`restore` makes the waits interruptible):
 * validate, then admit at once through the store when nobody waits, else refuse (maxWait) or queue.
 */
const admitSlow = (
  m: Memory,
  options: AcquireOptions | undefined,
  maxWait: Duration.DurationInput | undefined,
  clock: Clock.Clock,
  restore: Restore
): Effect.Effect<Admission, AcquireError> =>
  Effect.suspend((): Effect.Effect<Admission, AcquireError> => {
    const now = clock.unsafeCurrentTimeMillis()
    const key = options?.key ?? DEFAULT_KEY
    const set = options?.limits === undefined ? m.defaultSet : compileSet(options.limits)
    if (typeof set === "string") return Effect.fail(new InvalidCost({ key, reason: set }))
    const req = resolveCost(key, set, options?.cost)
    if (req instanceof InvalidCost) return Effect.fail(req)
    const tooBig = capacityError(key, req)
    if (tooBig !== undefined) return Effect.fail(tooBig)
    const maxWaitMs = maxWaitMillis(key, maxWait)
    if (typeof maxWaitMs !== "number") return Effect.fail(maxWaitMs)
    // One synchronous section from the key's lookup to joining the line (no yield in between: FIFO
    // holds, and the key state cannot be evicted under us).
    const st = m.table.touch(key, now)
    if (st.waiting > 0) return queue(m, key, st, req, maxWaitMs, clock, restore)
    const view = viewFor(st, req.set, now)
    if (tryAdmit(m.policy, st, view, req, now)) return Effect.succeed({ key, st, req, waitedMs: 0 })
    const waitMs = waitFor(st, view, req, now)
    if (waitMs <= maxWaitMs) return queue(m, key, st, req, maxWaitMs, clock, restore)
    m.counters.rejected++
    const blocked = blockedBy(st, view, req, now)
    const names = blocked.length === 0 ? ["queue"] : blocked
    return Effect.fail(
      new RateLimitExceeded({ key, limits: names, retryAfter: Duration.millis(waitMs), cost: reportedCost(req, names) })
    )
  })

const record = (m: Memory, a: Admission): Permit => admit(m.counters, a.key, a.req.record, a.waitedMs)

/** `acquire` with a synchronous fast path: nobody waiting on the key, room everywhere, no pacing. */
const acquireWith = (m: Memory) => (options: AcquireOptions | undefined, maxWait: Duration.DurationInput | undefined) =>
  Effect.clockWith((clock) => {
    const now = clock.unsafeCurrentTimeMillis()
    const key = options?.key ?? DEFAULT_KEY
    const limits = options?.limits
    const set = limits === undefined ? m.defaultSet : compileSet(limits)
    // An invalid maxWait takes the slow path, which refuses it, even when there is room.
    const waitOk = maxWait === undefined || maxWait === 0 || Option.isSome(decodeDuration(maxWait))
    if (typeof set !== "string" && waitOk) {
      const req = options?.cost === undefined && set.unit !== undefined ? set.unit : resolveCost(key, set, options?.cost)
      if (!(req instanceof InvalidCost)) {
        const st = m.table.touch(key, now)
        if (st.waiting === 0 && capacityError(key, req) === undefined) {
          const view = st.viewSet === set ? st.view : viewFor(st, set, now)
          if (tryAdmit(m.policy, st, view, req, now)) {
            m.counters.acquired++
            if (req !== m.defaultSet.unit) return Effect.succeed<Permit>({ key, costs: req.record, waited: NO_WAIT })
            if (m.cachedKey !== key) {
              m.cachedKey = key
              m.cachedResult = Effect.succeed<Permit>({ key, costs: req.record, waited: NO_WAIT })
            }
            return m.cachedResult
          }
        }
      }
    }
    return Effect.uninterruptibleMask((restore) => Effect.map(admitSlow(m, options, maxWait, clock, restore), (a) => record(m, a)))
  })

const lease = (m: Memory) => (options?: LeaseOptions): Effect.Effect<Lease, AcquireError, Scope.Scope> =>
  Effect.clockWith((clock) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(admitSlow(m, options, options?.maxWait, clock, restore), (a) => {
        a.st.leases++
        return Leases.make({
          permit: record(m, a),
          req: a.req,
          refundOnFailure: options?.refundOnFailure === true,
          adjust: (deltas) =>
            Effect.map(m.store.adjust(a.key, a.req.set, deltas), () => {
              if (deltas.some((d) => d < 0)) kick(a.st)
            }),
          release: Effect.sync(() => {
            a.st.leases--
          })
        })
      })
    )
  )

const cooldown = (m: Memory) => (key: string, duration: Duration.DurationInput): Effect.Effect<void, InvalidPacing> =>
  Effect.suspend(() => {
    const d = Pacing.cooldownMillis(key, duration)
    if (Either.isLeft(d)) return Effect.fail(d.left)
    return d.right === 0 ? Effect.void : m.store.cooldown(key, d.right)
  })

const setRate = (m: Memory) => (key: string, ratePerSecond: number | null, options?: SetRateOptions): Effect.Effect<void, InvalidPacing> =>
  Effect.suspend(() => {
    const burst = options?.burst ?? 1
    if (ratePerSecond !== null) {
      const checked = Pacing.checkRate(key, ratePerSecond, burst)
      if (Either.isLeft(checked)) return Effect.fail(checked.left)
    }
    // The head waiter looks again: its wait may have changed.
    return Effect.map(m.store.setRate(key, ratePerSecond, burst), () => {
      const st = m.table.get(key)
      if (st !== undefined) kick(st)
    })
  })

const snapshot = (m: Memory) => (key: string = DEFAULT_KEY): Effect.Effect<LimiterSnapshot> =>
  Effect.map(
    m.store.peek(key, m.defaultSet),
    (peek) => fromPeek(key, peek, m.policy.minIntervalMs, m.table.get(key)?.waiting ?? 0)
  )

/**
 * Build a memory limiter from decoded options.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemoryLimiter = (settings: MemorySettings): RateLimiterShape => {
  const policy: Policy = { throttle: settings.throttle, minIntervalMs: settings.minIntervalMs }
  const table = new KeyTable(settings.maxKeys, settings.idleTimeoutMs)
  const m: Memory = {
    table,
    store: memoryStore(table, policy),
    policy,
    defaultSet: compileSet(settings.limits) as LimitSet,
    counters: makeCounters(),
    cachedKey: undefined,
    cachedResult: Effect.never
  }
  const acquire = acquireWith(m)
  return {
    acquire: (options) => acquire(options, options?.maxWait),
    tryAcquire: (options) => acquire(options, 0),
    consume: (costs, options) => acquire({ ...options, cost: costs }, options?.maxWait),
    lease: lease(m),
    cooldown: cooldown(m),
    setRate: setRate(m),
    snapshot: snapshot(m),
    stats: Effect.sync(() => ({ ...m.counters, keys: table.size, evicted: table.evicted }))
  }
}
