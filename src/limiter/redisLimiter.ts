/**
 * The Redis `RateLimiter`: the Redis store (`redisStore.ts`) with what a shared store needs around
 * it: waiting by reserving (one round trip books the request and says when to start; the fiber
 * sleeps once and proceeds, or gives the slot back when interrupted meanwhile), batched tokens when
 * asked (`localBatch.ts`), and a policy for when Redis cannot be reached. Built by the Redis entry
 * point (`effect-governor/redis`), which supplies the connection.
 *
 * Ordering: requests that can wait are served in the order their reservations reach Redis, across
 * processes. What cannot be booked (a cooldown in force, a wait into a later fixed window) sleeps
 * and asks again: then whoever asks first when room appears wins.
 *
 * @since 0.1.0
 * @internal
 */
import { Clock, Duration, Effect, type Scope } from "effect"
import { initialThrottle, noteEvent } from "../internal/reportThrottle.js"
import { recordLimiterRedisTimeout } from "../metrics/GovernorMetrics.js"
import { admit, type Counters, makeCounters } from "./counters.js"
import {
  type AcquireError,
  InvalidCost,
  type InvalidPacing,
  type InvalidRateLimiterOptions,
  RateLimiterUnavailable,
  RateLimitExceeded
} from "./errors.js"
import * as Leases from "./lease.js"
import * as Limit from "./Limit.js"
import type { Reservation } from "./LimiterStore.js"
import { makePockets, type Pockets } from "./localBatch.js"
import { makeMemory } from "./memory.js"
import { decodeLimiterOptions, RedisLimiterOptionsSchema } from "./options.js"
import * as Pacing from "./pacing.js"
import { type AcquireOptions, DEFAULT_KEY, type Permit, type RateLimiterShape } from "./RateLimiter.js"
import type { OnUnavailable, RedisLimiterOptions } from "./redisOptions.js"
import { makeRedisStore, type RedisStore, type ScriptPort, type StoreFailure } from "./redisStore.js"
import { capacityError, compileSet, type LimitSet, maxWaitMillis, reportedCost, type Request, resolveCost } from "./request.js"
import { fromPeek } from "./snapshot.js"


const STORE = "redis"

/** A warning about calls Redis did not answer in time is logged at most once per this interval. */
const TIMEOUT_WARNING_INTERVAL_MS = 30_000

/** The options as decoded (defaults filled in). */
type RedisLimiterSettings = typeof RedisLimiterOptionsSchema.Type

const decodeRedisOptions = decodeLimiterOptions(RedisLimiterOptionsSchema)

/** Everything one Redis limiter holds. */
interface Shared {
  readonly store: RedisStore
  /** Outage or misconfiguration, as the connection classifies it (`ScriptPort.kindOf`). */
  readonly kindOf: ScriptPort["kindOf"]
  readonly onUnavailable: OnUnavailable
  readonly minIntervalMs: number
  readonly defaults: LimitSet
  readonly counters: Counters
  /** Fibers of this process sleeping for room, per key. */
  readonly waiters: Map<string, number>
  /** Cooldowns this process asked for, honoured without a round trip (and while Redis is down). */
  readonly localCooldowns: Map<string, number>
  readonly local: LocalFallback | undefined
  /** Batched tokens of this process (`localBatch` > 1). */
  readonly pockets: Pockets<StoreFailure> | undefined
  /** Give back `count` requests of `req` to `key` (a refund: errors are counted and logged, not raised). */
  readonly giveBack: (key: string, req: Request, count: number) => Effect.Effect<void>
  /** Count a call Redis did not answer in time; warn now and then. */
  readonly timedOut: (operation: string, key: string, error: StoreFailure) => Effect.Effect<void>
}

/** The memory limiter of `"local-fallback"`, with every limit divided by the number of workers. */
interface LocalFallback {
  readonly limiter: RateLimiterShape
  readonly workers: number
  readonly divided: (limits: ReadonlyArray<Limit.Limit>) => ReadonlyArray<Limit.Limit>
}

const unavailable = (s: Shared, error: StoreFailure) =>
  new RateLimiterUnavailable({ store: STORE, reason: error.message, kind: s.kindOf(error) })
/** MOVED/ASK/CROSSSLOT, or a client of the wrong kind for the server: never an outage a policy may admit on. */
const isOutage = (s: Shared, error: StoreFailure) => s.kindOf(error) === "outage"
const mustFail = (s: Shared, error: StoreFailure) => s.onUnavailable === "fail-closed" || !isOutage(s, error)

const makeFallback = (options: RedisLimiterSettings, throttleAt: number): Effect.Effect<LocalFallback> => {
  const workers = options.expectedWorkers
  const cache = new WeakMap<ReadonlyArray<Limit.Limit>, ReadonlyArray<Limit.Limit>>()
  const divided = (limits: ReadonlyArray<Limit.Limit>): ReadonlyArray<Limit.Limit> => {
    let d = cache.get(limits)
    if (d === undefined) {
      // Unvalidated on purpose: a share of a valid limit may fall below the bounds users are held to
      // (a bucket under one token), and the fallback must still start rather than die.
      d = limits.map((l) =>
        new Limit.Limit({
          name: l.name,
          capacity: l.capacity / workers,
          refillAmount: l.refillAmount / workers,
          refillPeriod: l.refillPeriod,
          window: l.window
        }, true)
      )
      cache.set(limits, d)
    }
    return d
  }
  return makeMemory({
    limits: divided(options.limits),
    throttle: options.throttle === false ? false : { threshold: throttleAt },
    minInterval: options.minInterval
  }).pipe(Effect.orDie, Effect.map((limiter) => ({ limiter, workers, divided })))
}

/** The options of a call for the local fallback: its limits divided, `maxWait` what is left of it. */
const localOptions = (f: LocalFallback, opts: AcquireOptions | undefined, budgetMs: number | undefined): AcquireOptions => {
  const { maxWait: _maxWait, ...rest } = opts ?? {}
  const local = { ...rest, ...(opts?.limits === undefined ? {} : { limits: f.divided(opts.limits) }) }
  return budgetMs === undefined ? local : { ...local, maxWait: Duration.millis(budgetMs) }
}

const timeoutWarnings = (onUnavailable: OnUnavailable, clock: Clock.Clock) => {
  let state = initialThrottle
  return (operation: string, key: string, error: StoreFailure): Effect.Effect<void> => {
    if (error.reason !== "timeout") return Effect.void
    const next = noteEvent(state, clock.unsafeCurrentTimeMillis(), TIMEOUT_WARNING_INTERVAL_MS)
    state = next.state
    const counted = recordLimiterRedisTimeout(operation)
    if (next.report === undefined) return counted
    return Effect.zipRight(
      counted,
      Effect.logWarning(
        `Redis did not answer ${next.report} rate-limiter call(s) within the command timeout ` +
          `(latest: ${operation} on key "${key}"); each waited the whole timeout, then ${onUnavailable} decided. ` +
          "A timed-out call may still run once Redis answers again: its tokens are consumed without admitting anyone."
      )
    )
  }
}

/** Redis cannot be reached: apply the `onUnavailable` policy. */
const onDown = (
  s: Shared,
  key: string,
  req: Request,
  opts: AcquireOptions | undefined,
  error: StoreFailure,
  waitedMs: number,
  maxWaitMs: number
): Effect.Effect<Permit, AcquireError> => {
  if (s.onUnavailable === "fail-open" && isOutage(s, error)) return Effect.succeed(admit(s.counters, key, req.record, waitedMs))
  if (s.local === undefined || !isOutage(s, error)) {
    s.counters.rejected++
    return Effect.fail(unavailable(s, error))
  }
  const budget = maxWaitMs === Infinity ? undefined : Math.max(0, maxWaitMs - waitedMs)
  return s.local.limiter.acquire(localOptions(s.local, opts, budget)).pipe(
    Effect.tap((p) =>
      Effect.sync(() => {
        s.counters.acquired++
        if (Duration.toMillis(p.waited) > 0) s.counters.waited++
        s.counters.totalWaitMs += Duration.toMillis(p.waited)
      })
    ),
    Effect.tapError(() => Effect.sync(() => s.counters.rejected++))
  )
}

const withWaiter = <A, E>(s: Shared, key: string, self: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.acquireUseRelease(
    Effect.sync(() => s.waiters.set(key, (s.waiters.get(key) ?? 0) + 1)),
    () => self,
    () =>
      Effect.sync(() => {
        const left = (s.waiters.get(key) ?? 1) - 1
        if (left <= 0) s.waiters.delete(key)
        else s.waiters.set(key, left)
      })
  )

/** Reserve `req` on `key`: from this process's pocket when batching, else one round trip. */
const reserve = (s: Shared, key: string, req: Request, maxWaitMs: number): Effect.Effect<Reservation, StoreFailure> =>
  s.pockets === undefined ? s.store.reserve(key, req, { maxWaitMs }) : s.pockets.reserve(key, req, maxWaitMs)

/**
 * Everything after a first answer that was not an admission at once: sleep once on a reservation
 * (giving it back when interrupted meanwhile); on a refusal within `maxWaitMs` (a cooldown, the next
 * fixed window) sleep and ask again; or apply the `onUnavailable` policy while Redis is down
 * (cooldowns this process asked for are still honoured locally then).
 */
const acquireSlow = (
  s: Shared,
  key: string,
  req: Request,
  opts: AcquireOptions | undefined,
  maxWaitMs: number,
  start: number,
  first: Reservation | StoreFailure
): Effect.Effect<Permit, AcquireError> => {
  const down = (waitedMs: number, error: StoreFailure): Effect.Effect<Permit, AcquireError> =>
    Effect.zipRight(s.timedOut("acquire", key, error), decideDown(waitedMs, error))
  const decideDown = (waitedMs: number, error: StoreFailure): Effect.Effect<Permit, AcquireError> => {
    const localUntil = s.localCooldowns.get(key)
    if (localUntil !== undefined) {
      const remaining = localUntil - (start + waitedMs)
      if (remaining > 0 && !mustFail(s, error)) return sleepThen(waitedMs, remaining, ["cooldown"])
      if (remaining <= 0) s.localCooldowns.delete(key)
    }
    return onDown(s, key, req, opts, error, waitedMs, maxWaitMs)
  }
  const admitted = Effect.map(Clock.currentTimeMillis, (now) => admit(s.counters, key, req.record, now - start))
  const answer = (waitedMs: number, r: Reservation): Effect.Effect<Permit, AcquireError> => {
    if (!r.admitted) return sleepThen(waitedMs, r.waitMs, r.blockedBy)
    if (r.waitMs <= 0) return Effect.succeed(admit(s.counters, key, req.record, waitedMs))
    // Booked: the slot is ours from then on. Sleep once; interrupted meanwhile, give it back.
    return withWaiter(s, key, Effect.sleep(Duration.millis(Math.ceil(r.waitMs)))).pipe(
      Effect.onInterrupt(() => s.giveBack(key, req, 1)),
      Effect.zipRight(admitted)
    )
  }
  const attempt = (waitedMs: number): Effect.Effect<Permit, AcquireError> =>
    Effect.matchEffect(reserve(s, key, req, Math.max(0, maxWaitMs - waitedMs)), {
      onFailure: (error) => down(waitedMs, error),
      onSuccess: (r) => answer(waitedMs, r)
    })
  const sleepThen = (waitedMs: number, wait: number, blocked: ReadonlyArray<string>): Effect.Effect<Permit, AcquireError> => {
    if (waitedMs + wait > maxWaitMs) {
      s.counters.rejected++
      return Effect.fail(
        new RateLimitExceeded({ key, limits: blocked, retryAfter: Duration.millis(wait), cost: reportedCost(req, blocked) })
      )
    }
    return withWaiter(s, key, Effect.sleep(Duration.millis(wait))).pipe(
      Effect.zipRight(Clock.currentTimeMillis),
      Effect.flatMap((now) => attempt(now - start))
    )
  }
  return "admitted" in first ? answer(0, first) : down(0, first)
}

/** Validate a call: its key, request and `maxWait`, or the typed error naming what was wrong. */
const validate = (s: Shared, opts: AcquireOptions | undefined) => {
  const key = opts?.key ?? DEFAULT_KEY
  const set = opts?.limits === undefined ? s.defaults : compileSet(opts.limits)
  const bad = typeof set === "string" ? set : s.store.unsupported(set)
  if (bad !== undefined) return new InvalidCost({ key, reason: bad })
  const maxWaitMs = maxWaitMillis(key, opts?.maxWait)
  if (typeof maxWaitMs !== "number") return maxWaitMs
  const req = resolveCost(key, set as LimitSet, opts?.cost)
  if (req instanceof InvalidCost) return req
  return capacityError(key, req) ?? { key, req, maxWaitMs }
}

const acquireWith = (s: Shared, opts: AcquireOptions | undefined, tryOnly: boolean): Effect.Effect<Permit, AcquireError> => {
  const call = validate(s, opts)
  if (!("req" in call)) {
    s.counters.rejected++
    return Effect.fail(call)
  }
  const { key, req } = call
  const maxWaitMs = tryOnly ? 0 : call.maxWaitMs
  // Admitted at once: one round trip (or none, from a pocket); the caller's clock is only read
  // when there is waiting to time.
  return Effect.matchEffect(reserve(s, key, req, maxWaitMs), {
    onSuccess: (d) =>
      d.admitted && d.waitMs <= 0
        ? Effect.succeed(admit(s.counters, key, req.record, 0))
        : Effect.clockWith((clock) => acquireSlow(s, key, req, opts, maxWaitMs, clock.unsafeCurrentTimeMillis(), d)),
    onFailure: (error) => Effect.clockWith((clock) => acquireSlow(s, key, req, opts, maxWaitMs, clock.unsafeCurrentTimeMillis(), error))
  })
}

/** Run a pacing call on Redis; a failure fails only with `fail-closed` or a misconfiguration. */
const remote = (s: Shared, operation: string, key: string, effect: Effect.Effect<void, StoreFailure>) =>
  effect.pipe(
    Effect.tapError((error) => s.timedOut(operation, key, error)),
    Effect.catchAll((error) => mustFail(s, error) ? Effect.fail(unavailable(s, error)) : Effect.void)
  )

/** This process's batched tokens of `key` go back: a cooldown or a pace must hold its next requests. */
const releasePockets = (s: Shared, key: string): Effect.Effect<void> => s.pockets === undefined ? Effect.void : s.pockets.release(key)

/** The limiter's leases, cooldowns, pacing, snapshots and stats. */
const controls = (s: Shared): Omit<RateLimiterShape, "acquire" | "tryAcquire" | "consume"> => ({
  lease: (opts) => {
    const call = validate(s, opts)
    if (!("req" in call)) return Effect.fail(call)
    if (s.local !== undefined && !s.store.isReady()) {
      // Admitted by the local limiter: it tracks the lease (adjust, refund) itself.
      const { maxWait, ...rest } = opts ?? {}
      const local = localOptions(s.local, rest, undefined)
      return s.local.limiter.lease(maxWait === undefined ? local : { ...local, maxWait })
    }
    return Effect.flatMap(acquireWith(s, opts, false), (permit) =>
      Leases.make({
        permit,
        req: call.req,
        refundOnFailure: opts?.refundOnFailure === true,
        adjust: (deltas) => remote(s, "adjust", call.key, s.store.adjust(call.key, call.req.set, deltas)),
        release: Effect.void
      }))
  },
  cooldown: (key, duration) =>
    Effect.suspend((): Effect.Effect<void, InvalidPacing | RateLimiterUnavailable> => {
      const checked = Pacing.cooldownMillis(key, duration)
      if (checked._tag === "Left") return Effect.fail(checked.left)
      const d = checked.right
      if (d === 0) return Effect.void
      return Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const until = now + d
        if (s.localCooldowns.size >= 10_000) {
          for (const [k, u] of s.localCooldowns) if (u <= now) s.localCooldowns.delete(k)
        }
        if ((s.localCooldowns.get(key) ?? 0) < until) s.localCooldowns.set(key, until)
        const local = s.local === undefined ? Effect.void : Effect.ignore(s.local.limiter.cooldown(key, d))
        return releasePockets(s, key).pipe(Effect.zipRight(remote(s, "cooldown", key, s.store.cooldown(key, d))), Effect.zipLeft(local))
      })
    }),
  setRate: (key, rate, opts) =>
    Effect.suspend((): Effect.Effect<void, InvalidPacing | RateLimiterUnavailable> => {
      const burst = opts?.burst ?? 1
      const checked = Pacing.checkRate(key, rate, burst)
      if (checked._tag === "Left") return Effect.fail(checked.left)
      // Each worker's share, never below the slowest pace a limiter accepts.
      const f = s.local
      const local = f === undefined ? Effect.void : Effect.ignore(
        f.limiter.setRate(key, rate === null ? null : Math.max(Pacing.MIN_PACING_RATE, rate / f.workers), {
          burst: Math.max(1, burst / f.workers)
        })
      )
      const release = rate === null ? Effect.void : releasePockets(s, key)
      return release.pipe(Effect.zipRight(remote(s, "rate", key, s.store.setRate(key, rate, burst))), Effect.zipLeft(local))
    }),
  snapshot: (key = DEFAULT_KEY) =>
    s.store.peek(key, s.defaults).pipe(
      Effect.map((peek) => fromPeek(key, peek, s.minIntervalMs, s.waiters.get(key) ?? 0)),
      Effect.tapError((error) => s.timedOut("snapshot", key, error)),
      Effect.catchAll((error) =>
        s.local !== undefined && isOutage(s, error) ? s.local.limiter.snapshot(key) : Effect.fail(unavailable(s, error))
      )
    ),
  stats: Effect.sync(() => {
    const keys = s.store.keys()
    return { ...s.counters, keys: keys.live, evicted: keys.expired }
  })
})

/**
 * Build a Redis limiter on a connection's script port (see `effect-governor/redis`). Fails with a
 * `InvalidRateLimiterOptions` naming the field when a setting is invalid. With `localBatch`, batched tokens left
 * unused are given back every `localBatchTtl` and when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeRedisLimiter = <P>(
  port: ScriptPort<P>,
  options: RedisLimiterOptions
): Effect.Effect<RateLimiterShape, InvalidRateLimiterOptions, Scope.Scope> =>
  Effect.gen(function*() {
    const o = yield* decodeRedisOptions(options)
    const onUnavailable = o.onUnavailable
    const throttleAt = o.throttle === false ? -1 : o.throttle.threshold
    // The schema checked the limits (values of `Limit`, unique names): the set compiles.
    const defaults = compileSet(o.limits) as LimitSet
    const minIntervalMs = Duration.toMillis(o.minInterval)
    const keyTtlMarginMs = Duration.toMillis(o.keyTtlMargin)
    const rateTtlMs = Duration.toMillis(o.rateTtl)
    const localBatch = o.localBatch
    const localBatchTtlMs = Duration.toMillis(o.localBatchTtl)
    // Load the script once (running it recovers with EVAL if the server forgot it).
    yield* Effect.ignore(port.load)
    const clock = yield* Effect.clock
    const store = makeRedisStore(port, { minIntervalMs, keyTtlMarginMs, rateTtlMs, throttleAt }, clock)
    const timedOut = timeoutWarnings(onUnavailable, clock)
    const giveBack = (key: string, req: Request, count: number) =>
      store.adjust(key, req.set, req.costs.map((c) => -c * count)).pipe(
        Effect.tapError((error) => timedOut("adjust", key, error)),
        Effect.ignore
      )
    const pockets = localBatch > 1 ? makePockets(store, localBatch, localBatchTtlMs, clock, giveBack) : undefined
    if (pockets !== undefined) {
      yield* Effect.addFinalizer(() => pockets.drain)
      yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(Duration.millis(localBatchTtlMs)), pockets.sweep)))
    }
    const s: Shared = {
      store,
      kindOf: port.kindOf,
      onUnavailable,
      minIntervalMs,
      defaults,
      counters: makeCounters(),
      waiters: new Map(),
      localCooldowns: new Map(),
      local: onUnavailable === "local-fallback" ? yield* makeFallback(o, throttleAt) : undefined,
      pockets,
      giveBack,
      timedOut
    }
    return {
      acquire: (opts) => acquireWith(s, opts, false),
      tryAcquire: (opts) => acquireWith(s, opts, true),
      consume: (costs, opts) => acquireWith(s, { ...opts, cost: costs }, false),
      ...controls(s)
    }
  })
