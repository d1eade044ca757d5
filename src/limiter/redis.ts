/**
 * The Redis store of the `RateLimiter` service: limits shared by every process and machine that
 * talks to the same Redis. One EVALSHA round trip per decision (see `src/redis/limiterScript.ts`):
 * the script reads Redis server time, refills and checks every applicable limit, the cooldown and the
 * adaptive pacing bucket, and consumes from all of them at once when all have room; otherwise it
 * answers how long to wait and which limits had no room, and the caller sleeps (`Effect.sleep`) and
 * asks again, within `maxWait`.
 *
 * Ordering: within one process, callers of a key are not reordered by this store, but across
 * processes there is no queue: whoever asks first when room appears wins (a costly request can be
 * overtaken by cheap ones under sustained load; give it a `maxWait` or a lease). Keys expire on their
 * own (TTL = time until every bucket of the key is full again + between half and all of
 * `keyTtlMargin`: the expiry is only pushed back when what is left no longer covers that).
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Either, Exit, Layer, Option, Ref, type Scope } from "effect"
import { decodeDuration } from "../internal/duration.js"
import { initialThrottle, noteEvent } from "../internal/reportThrottle.js"
import { recordLimiterRedisTimeout } from "../metrics/GovernorMetrics.js"
import { type PreparedScript, Redis, RedisError, toRedisError } from "../redis/Redis.js"
import { encodeCall, limiterScript, Op, type ScriptLimit } from "../redis/limiterScript.js"
import {
  type AcquireError,
  CostExceedsCapacity,
  InvalidCost,
  InvalidPacing,
  RateLimiterUnavailable,
  RateLimitExceeded
} from "./errors.js"
import * as Limit from "./Limit.js"
import { makeMemory } from "./memory.js"
import { maxWaitReason } from "./request.js"
import * as Pacing from "./pacing.js"
import {
  DEFAULT_KEY,
  RateLimiter,
  type AcquireOptions,
  type Cost,
  type Lease,
  type LeaseOptions,
  type LimiterSnapshot,
  type LimiterStats,
  type Permit,
  type RateLimiterShape,
  type SetRateOptions
} from "./RateLimiter.js"

/**
 * What to do when Redis cannot be reached: `"fail-closed"` fails every decision with
 * `RateLimiterUnavailable`; `"fail-open"` admits everything; `"local-fallback"` limits locally with
 * every limit divided by `expectedWorkers`. In every mode the store goes back to Redis by itself as
 * soon as the connection is ready again (the client reconnects in the background).
 *
 * @since 0.1.0
 * @category models
 */
export type OnUnavailable = "fail-closed" | "fail-open" | "local-fallback"

/**
 * @since 0.1.0
 * @category models
 */
export interface RedisLimiterOptions {
  /** Limits applied when a call does not pass its own `limits`. */
  readonly limits: ReadonlyArray<Limit.Limit>
  /** Default `"fail-closed"`. */
  readonly onUnavailable?: OnUnavailable | undefined
  /** Number of workers sharing the limits, used by `"local-fallback"`. Default 1. */
  readonly expectedWorkers?: number | undefined
  /**
   * Proactive throttling, as in the memory store: once a limit has used `threshold` of its capacity
   * (default 0.8), admissions are spaced so the rest lasts until the bucket is full again / the window
   * resets, across all workers. `false` turns it off.
   */
  readonly throttle?: { readonly threshold?: number | undefined } | false | undefined
  /** Minimum gap between two admissions on the same key, across all workers. Default none. */
  readonly minInterval?: Duration.DurationInput | undefined
  /** How long a `setRate` pace survives without traffic. Default 1 hour. */
  readonly rateTtl?: Duration.DurationInput | undefined
  /**
   * Slack added to every key's TTL beyond the time until its buckets are full again; at least half
   * of it is left after every decision. Default 1 second.
   */
  readonly keyTtlMargin?: Duration.DurationInput | undefined
}

const ms = (d: Duration.DurationInput): number => Duration.toMillis(Duration.decode(d))

interface LimitArgs {
  readonly limit: Limit.Limit
  readonly name: string
  readonly capacity: number
  readonly fixed: boolean
  /** The static part of the script argument. */
  readonly script: ScriptLimit
  /** Cached current window `[start, end)` of a fixed limit. */
  window: readonly [number, number] | undefined
}

interface Plan {
  readonly key: string
  readonly limits: ReadonlyArray<LimitArgs>
  readonly costs: ReadonlyArray<number>
  readonly costRecord: Readonly<Record<string, number>>
  readonly total: number
  /** The acquire argument when none of the limits is a fixed window (then it never changes). */
  readonly args: Buffer | undefined
  /** Prepared acquire calls by key (with `args`). */
  readonly calls: Map<string, PreparedScript> | undefined
}

/**
 * A script reply: the key's TTL (one integer) when an acquire is admitted, otherwise a status and
 * the server time first (see the script).
 */
type Reply = number | Fields
type Fields = ReadonlyArray<string | number>
const fields = (reply: Reply): Fields => typeof reply === "number" ? [] : reply

/** Longest limit name the script format carries (bytes, UTF-8). */
const MAX_NAME_BYTES = 65_535
const ZERO = Duration.zero

const STORE = "redis"

/** A warning about calls Redis did not answer in time is logged at most once per this interval. */
const TIMEOUT_WARNING_INTERVAL_MS = 30_000

/**
 * Parse and validate a cost against the limits that apply. Pure.
 *
 * @since 0.1.0
 * @internal
 */
export const resolveCost = (
  key: string,
  limits: ReadonlyArray<{ readonly name: string; readonly capacity: number }>,
  cost: Cost
): { readonly costs: ReadonlyArray<number>; readonly record: Readonly<Record<string, number>> } | InvalidCost | CostExceedsCapacity => {
  const costs: Array<number> = []
  const record: Record<string, number> = {}
  if (typeof cost === "number") {
    if (!Number.isFinite(cost) || cost < 0) return new InvalidCost({ key, reason: `cost must be a finite number >= 0, got ${cost}` })
    for (const l of limits) {
      costs.push(cost)
      record[l.name] = cost
    }
  } else {
    for (const name of Object.keys(cost)) {
      const value = cost[name]!
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
        return new InvalidCost({ key, reason: `cost of "${name}" must be a finite number >= 0, got ${String(value)}` })
      }
      if (!limits.some((l) => l.name === name)) {
        return new InvalidCost({
          key,
          reason: `no limit named "${name}" applies (limits: ${limits.map((l) => l.name).join(", ") || "none"})`
        })
      }
    }
    for (const l of limits) {
      const value = cost[l.name] ?? 0
      costs.push(value)
      record[l.name] = value
    }
  }
  for (let i = 0; i < limits.length; i++) {
    const l = limits[i]!
    if (costs[i]! > l.capacity) return new CostExceedsCapacity({ key, limit: l.name, cost: costs[i]!, capacity: l.capacity })
  }
  return { costs, record }
}

/**
 * Build a Redis-backed `RateLimiterShape`. Requires the {@link Redis} connection service.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Limit, RateLimiter } from "effect-governor"
 * import * as Redis from "effect-governor/redis"
 *
 * const Live = RedisLimiter.layerRedis({ limits: [Limit.perMinute("rpm", 600)], onUnavailable: "fail-open" })
 *   .pipe(Layer.provide(Redis.layerConfig()))
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const makeRedis = (options: RedisLimiterOptions): Effect.Effect<RateLimiterShape, never, Redis | Scope.Scope> =>
  Effect.gen(function*() {
    const redis = yield* Redis
    const onUnavailable = options.onUnavailable ?? "fail-closed"
    const workers = Math.max(1, options.expectedWorkers ?? 1)
    const minDelayMs = options.minInterval === undefined ? 0 : ms(options.minInterval)
    const rateTtlMs = options.rateTtl === undefined ? 3_600_000 : ms(options.rateTtl)
    const throttleAt = options.throttle === false ? -1 : options.throttle?.threshold ?? 0.8
    if (throttleAt !== -1 && !(throttleAt > 0 && throttleAt <= 1)) {
      return yield* Effect.dieMessage(`RedisLimiter: throttle.threshold must be in (0, 1], got ${throttleAt}`)
    }
    const marginMs = options.keyTtlMargin === undefined ? 1000 : ms(options.keyTtlMargin)

    // Load the script once (EVALSHA recovers with EVAL if the server forgot it).
    yield* redis.loadScript(limiterScript).pipe(Effect.ignore)

    // ---- per-limit argument cache (hot path: no re-formatting of static parts) -------------------
    const argsCache = new WeakMap<Limit.Limit, LimitArgs>()
    const limitArgs = (limit: Limit.Limit): LimitArgs => {
      let a = argsCache.get(limit)
      if (a === undefined) {
        const fixed = limit.window.type === "fixed"
        const name = Buffer.from(limit.name, "utf8")
        if (name.length > MAX_NAME_BYTES) throw new Error(`limit name "${limit.name.slice(0, 40)}…" is longer than ${MAX_NAME_BYTES} bytes`)
        a = {
          limit,
          name: limit.name,
          capacity: limit.capacity,
          fixed,
          script: {
            name,
            capacity: limit.capacity,
            refillAmount: limit.refillAmount,
            periodMs: Duration.toMillis(limit.refillPeriod),
            fixed
          },
          window: undefined
        }
        argsCache.set(limit, a)
      }
      return a
    }
    const listCache = new WeakMap<ReadonlyArray<Limit.Limit>, ReadonlyArray<LimitArgs>>()
    const scriptLimits = new WeakMap<ReadonlyArray<LimitArgs>, ReadonlyArray<ScriptLimit>>()
    const scriptLimitsOf = (limits: ReadonlyArray<LimitArgs>): ReadonlyArray<ScriptLimit> =>
      scriptLimits.get(limits) ?? limits.map((a) => a.script)
    const limitList = (limits: ReadonlyArray<Limit.Limit>): ReadonlyArray<LimitArgs> => {
      let l = listCache.get(limits)
      if (l === undefined) {
        const names = new Set<string>()
        for (const limit of limits) {
          if (names.has(limit.name)) throw new Error(`duplicate limit name "${limit.name}"`)
          names.add(limit.name)
        }
        l = limits.map(limitArgs)
        scriptLimits.set(l, l.map((a) => a.script))
        listCache.set(limits, l)
      }
      return l
    }
    const defaults = limitList(options.limits)

    // Estimate of (server clock - our clock), learned from replies that carry the server time; only
    // used to guess the current fixed window before asking (the script corrects a wrong guess).
    let offset = 0
    const estimateServerNow = (clientNow: number) => clientNow + offset

    const windowOf = (a: LimitArgs, serverNow: number): readonly [number, number] | undefined => {
      if (!a.fixed) return undefined
      let w = a.window
      if (w === undefined || serverNow < w[0] || serverNow >= w[1]) {
        w = [Limit.fixedWindowStart(a.limit, serverNow), Limit.fixedWindowEnd(a.limit, serverNow)]
        a.window = w
      }
      return w
    }

    type Params = readonly [number, number, number, number]
    const encode = (limits: ReadonlyArray<LimitArgs>, amounts: ReadonlyArray<number>, params: Params, serverNow: number): Buffer =>
      encodeCall(params, scriptLimitsOf(limits), amounts, limits.some((l) => l.fixed) ? limits.map((a) => windowOf(a, serverNow)) : undefined)

    const redisKeys = new Map<string, ReadonlyArray<string>>()
    const keysOf = (key: string): ReadonlyArray<string> => {
      let k = redisKeys.get(key)
      if (k === undefined) {
        if (redisKeys.size >= 10_000) redisKeys.clear()
        k = [redis.key(key, "limiter")]
        redisKeys.set(key, k)
      }
      return k
    }

    /**
     * One round trip. With a fixed-window limit, a `stale` window guess is corrected with the
     * server's time and retried; `prebuilt` (rolling limits only: never stale) skips the encoding.
     */
    const run = (
      op: string,
      key: string,
      limits: ReadonlyArray<LimitArgs>,
      amounts: ReadonlyArray<number>,
      params: Params,
      prebuilt?: Buffer
    ): Effect.Effect<Reply, RedisError> =>
      Effect.clockWith((clock) => {
        const clientNow = clock.unsafeCurrentTimeMillis()
        const learn = (reply: Reply) => {
          if (typeof reply !== "number") offset = Number(reply[1]) - clientNow
          return reply
        }
        if (prebuilt !== undefined) {
          return Effect.map(redis.evalScript(limiterScript, keysOf(key), [op, prebuilt]), (raw) => learn(raw as Reply))
        }
        const loop = (serverNow: number, attempts: number): Effect.Effect<Reply, RedisError> =>
          Effect.flatMap(
            redis.evalScript(limiterScript, keysOf(key), [op, encode(limits, amounts, params, serverNow)]),
            (raw) => {
              const reply = learn(raw as Reply)
              return typeof reply !== "number" && reply[0] === "stale" && attempts < 5
                ? loop(Number(reply[1]), attempts + 1)
                : Effect.succeed(reply)
            }
          )
        return loop(estimateServerNow(clientNow), 0)
      })

    const acquireParams: Params = [minDelayMs, marginMs, rateTtlMs, throttleAt]

    // ---- local bookkeeping: stats, waiters, live keys, local cooldowns ----------------------------
    const counters = { acquired: 0, waited: 0, totalWaitMs: 0, rejected: 0, evicted: 0 }
    const waiters = new Map<string, number>()
    /**
     * key -> time at which Redis drops the key (from the TTL the script reported), on the clock the
     * store was built with: reading it needs no fiber, so an admission on the fast path reads no
     * clock through Effect at all.
     */
    const bookClock = yield* Effect.clock
    const liveKeys = new Map<string, number>()
    const sweepKeys = (now: number) => {
      for (const [k, until] of liveKeys) {
        if (until <= now) {
          liveKeys.delete(k)
          counters.evicted++
        }
      }
    }
    const touch = (key: string, ttl: number) => {
      if (!(ttl > 0)) return
      const now = bookClock.unsafeCurrentTimeMillis()
      if (!liveKeys.has(key) && liveKeys.size >= 100_000) sweepKeys(now)
      liveKeys.set(key, now + ttl)
    }
    /** Cooldowns this process asked for, honoured without a round trip (and while Redis is down). */
    const localCooldowns = new Map<string, number>()

    // ---- unavailability policy -------------------------------------------------------------------
    const fallbackLimits = new WeakMap<ReadonlyArray<Limit.Limit>, ReadonlyArray<Limit.Limit>>()
    const divided = (limits: ReadonlyArray<Limit.Limit>): ReadonlyArray<Limit.Limit> => {
      let d = fallbackLimits.get(limits)
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
        fallbackLimits.set(limits, d)
      }
      return d
    }
    const fallback = onUnavailable !== "local-fallback" ? undefined : yield* makeMemory({
      limits: divided(options.limits),
      throttle: options.throttle === false ? false : { threshold: throttleAt },
      ...(options.minInterval === undefined ? {} : { minInterval: options.minInterval })
    }).pipe(Effect.orDie)
    const notReady = new RedisError({ operation: "acquire", reason: "unavailable", detail: "connection not ready" })
    const unavailable = (error: RedisError) => new RateLimiterUnavailable({ store: STORE, reason: error.message })

    // A slow Redis (CLIENT PAUSE, overloaded, failing over) makes each call wait the whole command
    // timeout before onUnavailable decides: count every such call, warn now and then.
    let timeoutWarnings = initialThrottle
    const timedOut = (operation: string, key: string, error: RedisError): Effect.Effect<void> => {
      if (error.reason !== "timeout") return Effect.void
      const next = noteEvent(timeoutWarnings, bookClock.unsafeCurrentTimeMillis(), TIMEOUT_WARNING_INTERVAL_MS)
      timeoutWarnings = next.state
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

    const validate = (opts: AcquireOptions | undefined): Plan | InvalidCost | CostExceedsCapacity => {
      const key = opts?.key ?? DEFAULT_KEY
      let limits: ReadonlyArray<LimitArgs>
      try {
        limits = opts?.limits === undefined ? defaults : limitList(opts.limits)
      } catch (error) {
        return new InvalidCost({ key, reason: (error as Error).message })
      }
      if (opts?.maxWait !== undefined && Option.isNone(decodeDuration(opts.maxWait))) {
        return new InvalidCost({ key, reason: maxWaitReason(opts.maxWait) })
      }
      const cost = opts?.cost ?? 1
      const shape = typeof cost === "number" ? numericShape(key, limits, cost) : costShape(key, limits, cost)
      if (!("costs" in shape)) return shape
      return { key, limits, costs: shape.costs, costRecord: shape.costRecord, total: shape.total, args: shape.args, calls: shape.calls }
    }

    interface Shape {
      readonly costs: ReadonlyArray<number>
      readonly costRecord: Readonly<Record<string, number>>
      readonly total: number
      /** The acquire argument when none of the limits is a fixed window (then it never changes). */
      readonly args: Buffer | undefined
      readonly calls: Map<string, PreparedScript> | undefined
    }
    const costShape = (key: string, limits: ReadonlyArray<LimitArgs>, cost: Cost): Shape | InvalidCost | CostExceedsCapacity => {
      const resolved = resolveCost(key, limits, cost)
      if (!("costs" in resolved)) return resolved
      let total = 0
      for (const c of resolved.costs) total = Math.max(total, c)
      const args = limits.some((l) => l.fixed) ? undefined : encode(limits, resolved.costs, acquireParams, 0)
      return { costs: resolved.costs, costRecord: resolved.record, total, args, calls: args === undefined ? undefined : new Map() }
    }
    // Hot path: numeric costs against a known limit list resolve to the same shape every time.
    const shapes = new WeakMap<ReadonlyArray<LimitArgs>, Map<number, Shape>>()
    const numericShape = (key: string, limits: ReadonlyArray<LimitArgs>, cost: number): Shape | InvalidCost | CostExceedsCapacity => {
      let byCost = shapes.get(limits)
      if (byCost === undefined) {
        byCost = new Map()
        shapes.set(limits, byCost)
      }
      const hit = byCost.get(cost)
      if (hit !== undefined) return hit
      const shape = costShape(key, limits, cost)
      if ("costs" in shape && byCost.size < 64) byCost.set(cost, shape)
      return shape
    }

    const admitted = (plan: Plan, waitedMs: number): Permit => {
      counters.acquired++
      if (waitedMs > 0) {
        counters.waited++
        counters.totalWaitMs += waitedMs
      }
      return { key: plan.key, costs: plan.costRecord, waited: waitedMs > 0 ? Duration.millis(waitedMs) : ZERO }
    }

    const withWaiter = <A, E>(key: string, self: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      Effect.acquireUseRelease(
        Effect.sync(() => waiters.set(key, (waiters.get(key) ?? 0) + 1)),
        () => self,
        () =>
          Effect.sync(() => {
            const left = (waiters.get(key) ?? 1) - 1
            if (left <= 0) waiters.delete(key)
            else waiters.set(key, left)
          })
      )

    const exceeded = (plan: Plan, retryAfterMs: number, violated: ReadonlyArray<string>) => {
      counters.rejected++
      return new RateLimitExceeded({ key: plan.key, limits: violated, retryAfter: Duration.millis(retryAfterMs), cost: plan.total })
    }

    const onDown = (
      plan: Plan,
      opts: AcquireOptions | undefined,
      error: RedisError,
      waitedMs: number,
      maxWaitMs: number | undefined
    ): Effect.Effect<Permit, AcquireError> => {
      switch (onUnavailable) {
        case "fail-closed":
          counters.rejected++
          return Effect.fail(unavailable(error))
        case "fail-open":
          return Effect.succeed(admitted(plan, waitedMs))
        case "local-fallback": {
          const { maxWait: _maxWait, ...rest } = opts ?? {}
          const local = { ...rest, ...(opts?.limits === undefined ? {} : { limits: divided(opts.limits) }) }
          const budget = maxWaitMs === undefined ? undefined : Math.max(0, maxWaitMs - waitedMs)
          return fallback!.acquire(budget === undefined ? local : { ...local, maxWait: Duration.millis(budget) }).pipe(
            Effect.tap((p) =>
              Effect.sync(() => {
                counters.acquired++
                if (Duration.toMillis(p.waited) > 0) counters.waited++
                counters.totalWaitMs += Duration.toMillis(p.waited)
              })
            ),
            Effect.tapError(() => Effect.sync(() => counters.rejected++))
          )
        }
      }
    }

    /**
     * The general path: waiting, Redis down, fixed windows. `first` is the reply to a first attempt
     * already made by the fast path (or its failure), handled here without another round trip.
     */
    const acquireSlow = (
      plan: Plan,
      opts: AcquireOptions | undefined,
      maxWaitMs: number | undefined,
      start: number,
      first?: Reply | RedisError
    ): Effect.Effect<Permit, AcquireError> => {
      // While Redis is down, cooldowns this process asked for are still honoured locally.
      const down = (waitedMs: number, error: RedisError): Effect.Effect<Permit, AcquireError> =>
        Effect.zipRight(timedOut("acquire", plan.key, error), decideDown(waitedMs, error))
      const decideDown = (waitedMs: number, error: RedisError): Effect.Effect<Permit, AcquireError> => {
        const localUntil = localCooldowns.get(plan.key)
        if (localUntil !== undefined) {
          const remaining = localUntil - (start + waitedMs)
          if (remaining > 0 && onUnavailable !== "fail-closed") return sleepThen(waitedMs, remaining, ["cooldown"])
          if (remaining <= 0) localCooldowns.delete(plan.key)
        }
        return onDown(plan, opts, error, waitedMs, maxWaitMs)
      }
      const answer = (waitedMs: number, reply: Reply): Effect.Effect<Permit, AcquireError> => {
        if (typeof reply === "number") {
          touch(plan.key, reply)
          return Effect.succeed(admitted(plan, waitedMs))
        }
        return sleepThen(waitedMs, Math.max(1, Math.ceil(Number(reply[2]))), reply.slice(3).map(String))
      }
      const attempt = (waitedMs: number): Effect.Effect<Permit, AcquireError> => {
        if (!redis.isReady()) return down(waitedMs, notReady)
        return Effect.matchEffect(run(Op.acquire, plan.key, plan.limits, plan.costs, acquireParams, plan.args), {
          onFailure: (error) => down(waitedMs, error),
          onSuccess: (reply) => answer(waitedMs, reply)
        })
      }
      const sleepThen = (waitedMs: number, wait: number, violated: ReadonlyArray<string>): Effect.Effect<Permit, AcquireError> => {
        if (maxWaitMs !== undefined && waitedMs + wait > maxWaitMs) return Effect.fail(exceeded(plan, wait, violated))
        return withWaiter(plan.key, Effect.sleep(Duration.millis(wait))).pipe(
          Effect.zipRight(Clock.currentTimeMillis),
          Effect.flatMap((now) => attempt(now - start))
        )
      }
      return first === undefined ? attempt(0) : first instanceof RedisError ? down(0, first) : answer(0, first)
    }

    const acquireWith = (opts: AcquireOptions | undefined, maxWaitMs: number | undefined): Effect.Effect<Permit, AcquireError> => {
      const plan = validate(opts)
      if (!("limits" in plan)) {
        counters.rejected++
        return Effect.fail(plan)
      }
      if (plan.args === undefined || !redis.isReady()) {
        return Effect.clockWith((clock) => acquireSlow(plan, opts, maxWaitMs, clock.unsafeCurrentTimeMillis()))
      }
      // Fast path (rolling limits, Redis up, admitted at once): the prepared call, one callback from
      // ioredis resuming the fiber; the caller's clock is only read when there is waiting to time.
      const call = preparedCall(plan)
      return Effect.async<Permit, AcquireError>((resume) => {
        redis.runPrepared(call, (error, raw) => {
          if (typeof raw === "number") {
            touch(plan.key, raw)
            resume(Effect.succeed(admitted(plan, 0)))
          } else {
            resume(Effect.clockWith((clock) => {
              const start = clock.unsafeCurrentTimeMillis()
              if (error !== undefined) {
                return acquireSlow(plan, opts, maxWaitMs, start, toRedisError(limiterScript.name, error))
              }
              const reply = raw as Fields
              offset = Number(reply[1]) - start
              return acquireSlow(plan, opts, maxWaitMs, start, reply)
            }))
          }
        })
      })
    }

    /** The acquire call of a rolling-only plan on its key, encoded once. */
    const preparedCall = (plan: Plan): PreparedScript => {
      const calls = plan.calls!
      let call = calls.get(plan.key)
      if (call === undefined) {
        if (calls.size >= 10_000) calls.clear()
        call = redis.prepareScript(limiterScript, keysOf(plan.key), [Op.acquire, plan.args!])
        calls.set(plan.key, call)
      }
      return call
    }

    // An invalid maxWait reads as none here; `validate` refuses it before it is used.
    const maxWaitOf = (opts: AcquireOptions | undefined): number | undefined =>
      opts?.maxWait === undefined
        ? undefined
        : Option.match(decodeDuration(opts.maxWait), { onNone: () => undefined, onSome: Duration.toMillis })

    const acquire = (opts?: AcquireOptions) => acquireWith(opts, maxWaitOf(opts))

    // ---- leases ----------------------------------------------------------------------------------
    const adjustRemote = (plan: Plan, deltas: ReadonlyArray<number>) =>
      run(Op.adjust, plan.key, plan.limits, deltas, [marginMs, 0, 0, 0]).pipe(
        Effect.flatMap((reply) =>
          Effect.sync(() => touch(plan.key, Number(fields(reply)[2])))
        ),
        Effect.asVoid
      )

    const lease = (opts?: LeaseOptions): Effect.Effect<Lease, AcquireError, Scope.Scope> => {
      const plan = validate(opts)
      if (!("limits" in plan)) return Effect.fail(plan)
      if (onUnavailable === "local-fallback" && !redis.isReady()) {
        // Admitted by the local limiter: it tracks the lease (adjust, refund) itself.
        const { maxWait, ...rest } = opts ?? {}
        const local = { ...rest, ...(opts?.limits === undefined ? {} : { limits: divided(opts.limits) }) }
        return fallback!.lease(maxWait === undefined ? local : { ...local, maxWait })
      }
      return Effect.gen(function*() {
        const permit = yield* acquire(opts)
        const lease = leaseOf(plan, permit)
        if (opts?.refundOnFailure === true) {
          yield* Effect.addFinalizer((exit) => Exit.isSuccess(exit) ? Effect.void : lease.adjust(0).pipe(Effect.ignore))
        }
        return lease
      })
    }

    const leaseOf = (plan: Plan, permit: Permit): Lease => {
      const current = Ref.unsafeMake<ReadonlyArray<number>>(plan.costs)
      const record = (costs: ReadonlyArray<number>) => Object.fromEntries(plan.limits.map((l, i) => [l.name, costs[i]!]))
      return {
        ...permit,
        current: Effect.map(Ref.get(current), record),
        adjust: (cost) => {
          const resolved = resolveCost(plan.key, plan.limits, cost)
          if (!("costs" in resolved)) {
            // Adjusting up may exceed a capacity (the bucket goes into debt): only reject bad input.
            if (resolved._tag === "InvalidCost") return Effect.fail(resolved)
          }
          const next = "costs" in resolved ? resolved.costs : capacityUnchecked(plan, cost)
          return Effect.flatMap(Ref.get(current), (was) => {
            const deltas = next.map((c, i) => c - was[i]!)
            if (deltas.every((d) => d === 0)) return Ref.set(current, next)
            return adjustRemote(plan, deltas).pipe(
              Effect.zipRight(Ref.set(current, next)),
              Effect.catchAll((error) =>
                Effect.zipRight(
                  timedOut("adjust", plan.key, error),
                  onUnavailable === "fail-closed" ? Effect.fail(unavailable(error)) : Ref.set(current, next)
                )
              )
            )
          })
        }
      }
    }
    const capacityUnchecked = (plan: Plan, cost: Cost): ReadonlyArray<number> =>
      plan.limits.map((l) => typeof cost === "number" ? cost : cost[l.name] ?? 0)

    // ---- cooldown, setRate, snapshot, stats ------------------------------------------------------
    const cooldown = (key: string, duration: Duration.DurationInput): Effect.Effect<void, InvalidPacing | RateLimiterUnavailable> => {
      const checked = Pacing.cooldownMillis(key, duration)
      if (Either.isLeft(checked)) return Effect.fail(checked.left)
      const d = checked.right
      if (d === 0) return Effect.void
      return Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const until = now + d
        if (localCooldowns.size >= 10_000) {
          for (const [k, u] of localCooldowns) if (u <= now) localCooldowns.delete(k)
        }
        if ((localCooldowns.get(key) ?? 0) < until) localCooldowns.set(key, until)
        const local = fallback === undefined ? Effect.void : fallback.cooldown(key, d).pipe(Effect.ignore)
        return run(Op.cooldown, key, [], [], [d, marginMs, 0, 0]).pipe(
          Effect.asVoid,
          Effect.tapError((error) => timedOut("cooldown", key, error)),
          Effect.catchAll((error) => onUnavailable === "fail-closed" ? Effect.fail(unavailable(error)) : Effect.void),
          Effect.zipLeft(local)
        )
      })
    }

    const setRate = (
      key: string,
      rate: number | null,
      opts?: SetRateOptions
    ): Effect.Effect<void, InvalidPacing | RateLimiterUnavailable> => {
      const burst = opts?.burst ?? 1
      const checked = Pacing.checkRate(key, rate, burst)
      if (Either.isLeft(checked)) return Effect.fail(checked.left)
      // Each worker's share, never below the slowest pace a limiter accepts.
      const local = fallback === undefined
        ? Effect.void
        : fallback.setRate(key, rate === null ? null : Math.max(Pacing.MIN_PACING_RATE, rate / workers), {
          burst: Math.max(1, burst / workers)
        }).pipe(Effect.ignore)
      return run(Op.rate, key, [], [], rate === null ? [0, 0, 0, 0] : [rate, burst, rateTtlMs, 0]).pipe(
        Effect.asVoid,
        Effect.tapError((error) => timedOut("rate", key, error)),
        Effect.catchAll((error) => onUnavailable === "fail-closed" ? Effect.fail(unavailable(error)) : Effect.void),
        Effect.zipLeft(local)
      )
    }

    const snapshot = (key: string = DEFAULT_KEY): Effect.Effect<LimiterSnapshot, RateLimiterUnavailable> =>
      run(Op.peek, key, defaults, defaults.map(() => 0), [0, 0, 0, 0]).pipe(
        Effect.map((raw): LimiterSnapshot => {
          const reply = fields(raw)
          const now = Number(reply[1])
          const cd = reply[2] === "" ? null : Number(reply[2])
          const pr = reply[3] === "" ? null : Number(reply[3])
          const limits = defaults.map((a, i) => {
            const tokens = Number(reply[4 + i])
            const rate = a.limit.ratePerSecond
            return {
              name: a.name,
              capacity: a.capacity,
              tokens,
              ratePerSecond: rate,
              window: a.fixed ? "fixed" as const : "rolling" as const,
              fullAt: a.fixed
                ? (tokens >= a.capacity ? now : Limit.fixedWindowEnd(a.limit, now) +
                  Math.max(0, Math.ceil(-tokens / a.capacity)) * Duration.toMillis(a.limit.refillPeriod))
                : now + Math.max(0, (a.capacity - tokens) / rate * 1000)
            }
          })
          const configured = limits.length === 0 ? Infinity : Math.min(...limits.map((l) => l.ratePerSecond))
          const binding = limits.reduce((min, l) => l.tokens < 1 ? Math.min(min, l.ratePerSecond) : min, Infinity)
          return {
            key,
            limits,
            // With an adaptive pace, a configured limit binds only while its bucket cannot admit a
            // request (see the memory store).
            currentRate: pr === null ? configured : Math.min(pr, binding),
            rateSource: pr !== null && pr <= binding ? "adaptive" : "configured",
            waiters: waiters.get(key) ?? 0,
            cooldownUntil: cd !== null && cd > now ? cd : null
          }
        }),
        Effect.tapError((error) => timedOut("snapshot", key, error)),
        Effect.catchAll((error) =>
          onUnavailable === "local-fallback" ? fallback!.snapshot(key) : Effect.fail(unavailable(error))
        )
      )

    const stats: Effect.Effect<LimiterStats> = Effect.sync(() => {
      sweepKeys(bookClock.unsafeCurrentTimeMillis())
      return { ...counters, keys: liveKeys.size }
    })

    return {
      acquire,
      tryAcquire: (opts) => acquireWith(opts, 0),
      consume: (costs, opts) => acquire({ ...opts, cost: costs }),
      lease,
      cooldown,
      setRate,
      snapshot,
      stats
    } satisfies RateLimiterShape
  })

/**
 * The `RateLimiter` service backed by Redis. Provide the {@link Redis} connection layer
 * (`Redis.layer(...)` / `Redis.layerConfig()`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRedis = (options: RedisLimiterOptions): Layer.Layer<RateLimiter, never, Redis> =>
  Layer.scoped(RateLimiter, makeRedis(options))
