/**
 * The Redis store: a `LimiterStore` whose every operation is one EVALSHA of the limiter script
 * (`redisScript.ts`), so limits are shared by every process and machine that talks to the same Redis.
 * The script reads Redis server time, refills and checks every limit of the request, the cooldown and
 * the adaptive pacing bucket, and consumes from all of them at once when all have room; otherwise it
 * answers how long to wait and which limits had no room.
 *
 * It talks to Redis through a {@link ScriptPort}, which the Redis entry point (`src/redis/`) builds
 * from its connection service: this module (and the root of the package) never loads `ioredis`.
 *
 * Keys expire on their own (TTL = time until every bucket of the key is full again + between half
 * and all of `keyTtlMargin`); the store remembers when each key it wrote expires, for `stats`.
 *
 * @since 0.1.0
 * @internal
 */
import { Effect } from "effect"
import type { Clock } from "effect"
import type * as Bucket from "./bucket.js"
import * as Limit from "./Limit.js"
import type { LimiterStore, Reservation, Reserved, ReserveOptions } from "./LimiterStore.js"
import { encodeCall, Op, type ScriptLimit } from "./redisScript.js"
import { compileSet, type LimitSet, type Request } from "./request.js"
import type { Peek } from "./snapshot.js"

/**
 * How a Redis call failed (the Redis service's `RedisError` is one): `reason` `"timeout"` when Redis
 * did not answer within the command timeout, `"unavailable"` when not connected.
 *
 * @since 0.1.0
 * @category models
 */
export interface StoreFailure {
  readonly reason: string
  readonly message: string
}

/**
 * What the Redis store needs from a Redis connection: running the limiter script, plainly or as a
 * prepared call (encoded once, for the hot path). `P` is the connection's prepared-call type.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScriptPort<P = unknown> {
  /** The Redis key holding the state of limiter key `key` (one hash tag per key). */
  readonly key: (key: string) => string
  readonly isReady: () => boolean
  /** The failure of a call made while not connected (no round trip is tried). */
  readonly notReady: StoreFailure
  /** SCRIPT LOAD (best effort: running the script recovers from NOSCRIPT anyway). */
  readonly load: Effect.Effect<void, StoreFailure>
  readonly run: (keys: ReadonlyArray<string>, args: ReadonlyArray<string | Buffer>) => Effect.Effect<unknown, StoreFailure>
  readonly prepare: (keys: ReadonlyArray<string>, args: ReadonlyArray<string | Buffer>) => P
  /** Run a prepared call; `done` is called exactly once with the raw reply or what was thrown. */
  readonly runPrepared: (call: P, done: (error: Error | undefined, reply?: unknown) => void) => void
  /** Map what `runPrepared` reported to a failure. */
  readonly failure: (cause: unknown) => StoreFailure
  /** The connection's classification of a failure: only an outage may be answered by `onUnavailable`. */
  readonly kindOf: (failure: StoreFailure) => "outage" | "misconfigured"
}

/**
 * Settings of the store (validated by the limiter).
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisStoreSettings {
  readonly minIntervalMs: number
  readonly keyTtlMarginMs: number
  readonly rateTtlMs: number
  /** Proactive throttling threshold, `-1` when off. */
  readonly throttleAt: number
}

/**
 * The Redis store, with what it knows of the keys it wrote.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisStore extends LimiterStore<StoreFailure> {
  /** Whether the connection is ready now (calls fail at once with `notReady` when not). */
  readonly isReady: () => boolean
  /** Why `set` cannot be sent to the script (a limit name over 65,535 bytes), else `undefined`. */
  readonly unsupported: (set: LimitSet) => string | undefined
  /** Keys that still live in Redis, and keys that expired, as far as this process wrote them. */
  readonly keys: () => { readonly live: number; readonly expired: number }
}

/**
 * A script reply: the key's TTL (one integer) when an acquire is admitted at once, otherwise a
 * status and the server time first (see the script).
 */
type Reply = number | Fields
type Fields = ReadonlyArray<string | number>
type Params = readonly [number, number, number, number]

const fields = (reply: Reply): Fields => typeof reply === "number" ? [] : reply

/** Longest limit name the script format carries (bytes, UTF-8). */
const MAX_NAME_BYTES = 65_535
const NO_LIMITS = compileSet([]) as LimitSet
const NO_AMOUNTS: ReadonlyArray<number> = []

const NOW: Reserved = { admitted: true, waitMs: 0, count: 1 }
const ONLY_NOW: ReserveOptions = { maxWaitMs: 0 }

/**
 * An acquire's reply that is not a plain admission: `{"reserved", now, waitMs, ttl}`,
 * `{"batch", now, count, ttl}`, or a refusal `{"wait", now, waitMs, violated...}` (wait at least 1 ms).
 */
const reservation = (reply: Fields): Reservation => {
  switch (reply[0]) {
    case "reserved":
      return { admitted: true, waitMs: Number(reply[2]), count: 1 }
    case "batch":
      return { admitted: true, waitMs: 0, count: Number(reply[2]) }
    default:
      return { admitted: false, waitMs: Math.max(1, Math.ceil(Number(reply[2]))), blockedBy: reply.slice(3).map(String) }
  }
}

/** How long the key lives after an admission (the integer reply, or the last field of a table). */
const ttlOf = (reply: Reply): number => typeof reply === "number" ? reply : Number(reply[3])

/** ARGV after the binary argument of an acquire: the longest wait to book, the batch size. */
const reserveArgs = (options: ReserveOptions): ReadonlyArray<string> => {
  const batch = options.batch ?? 1
  if (options.maxWaitMs <= 0 && batch <= 1) return []
  const most = options.maxWaitMs === Infinity ? "-1" : String(options.maxWaitMs)
  return batch <= 1 ? [most] : [most, String(Math.floor(batch))]
}

/** A limit as the script reads it, with its current fixed window cached (the script corrects it). */
interface ScriptSpec {
  readonly script: ScriptLimit
  readonly spec: Bucket.BucketSpec
  window: readonly [number, number] | undefined
}

const scriptSpecs = new WeakMap<Bucket.BucketSpec, ScriptSpec>()
const scriptSpec = (spec: Bucket.BucketSpec): ScriptSpec => {
  let s = scriptSpecs.get(spec)
  if (s === undefined) {
    const name = Buffer.from(spec.name, "utf8")
    s = {
      script: { name, capacity: spec.capacity, refillAmount: spec.refillAmount, periodMs: spec.periodMs, fixed: spec.fixed },
      spec,
      window: undefined
    }
    scriptSpecs.set(spec, s)
  }
  return s
}

const windowOf = (s: ScriptSpec, serverNow: number): readonly [number, number] | undefined => {
  if (!s.spec.fixed) return undefined
  let w = s.window
  if (w === undefined || serverNow < w[0] || serverNow >= w[1]) {
    w = [Limit.fixedWindowStart(s.spec.limit, serverNow), Limit.fixedWindowEnd(s.spec.limit, serverNow)]
    s.window = w
  }
  return w
}

const encode = (set: LimitSet, amounts: ReadonlyArray<number>, params: Params, serverNow: number): Buffer => {
  const specs = set.specs.map(scriptSpec)
  const windows = set.specs.some((s) => s.fixed) ? specs.map((s) => windowOf(s, serverNow)) : undefined
  return encodeCall(params, specs.map((s) => s.script), amounts, windows)
}

/**
 * Rolling-only acquires never go stale: their argument is encoded once per request, their call once
 * per key and variant (`Request`s of one set and amount are shared, see `request.ts`; the variants
 * are the few (maxWait, batch) pairs a program uses). `undefined`: not preparable (a fixed window,
 * whose call carries the window guessed now), or past the bound of variants.
 */
const makePreparedCalls = <P>(port: ScriptPort<P>, redisKeys: (key: string) => ReadonlyArray<string>, acquireParams: Params) => {
  const prepared = new WeakMap<Request, Array<Variant<P>>>()
  return (key: string, req: Request, options: ReserveOptions): P | undefined => {
    let variants = prepared.get(req)
    if (variants === undefined) {
      if (req.set.specs.some((s) => s.fixed)) return undefined
      variants = []
      prepared.set(req, variants)
    }
    const batch = options.batch ?? 1
    let variant: Variant<P> | undefined
    for (const v of variants) if (v.maxWaitMs === options.maxWaitMs && v.batch === batch) variant = v
    if (variant === undefined) {
      if (variants.length >= 8) return undefined
      variant = { maxWaitMs: options.maxWaitMs, batch, calls: new Map() }
      variants.push(variant)
    }
    let call = variant.calls.get(key)
    if (call === undefined) {
      if (variant.calls.size >= 10_000) variant.calls.clear()
      call = port.prepare(redisKeys(key), [Op.acquire, encode(req.set, req.costs, acquireParams, 0), ...reserveArgs(options)])
      variant.calls.set(key, call)
    }
    return call
  }
}

/**
 * The Redis store over `port`. `bookClock` times the key bookkeeping (never an Effect clock on the
 * hot path).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeRedisStore = <P>(port: ScriptPort<P>, settings: RedisStoreSettings, bookClock: Clock.Clock): RedisStore => {
  const acquireParams: Params = [settings.minIntervalMs, settings.keyTtlMarginMs, settings.rateTtlMs, settings.throttleAt]
  const keys = makeKeyBook(port.key, bookClock)
  // Estimate of (server clock - our clock), learned from replies that carry the server time; only
  // used to guess the current fixed window before asking (the script corrects a wrong guess).
  let offset = 0
  const learn = (reply: Reply, clientNow: number): Reply => {
    if (typeof reply !== "number") offset = Number(reply[1]) - clientNow
    return reply
  }

  /** One round trip; with a fixed-window limit, a `stale` window guess is corrected and asked again. */
  const run = (op: string, key: string, set: LimitSet, amounts: ReadonlyArray<number>, params: Params, extra: ReadonlyArray<string> = []) =>
    Effect.clockWith((clock) => {
      const clientNow = clock.unsafeCurrentTimeMillis()
      const loop = (serverNow: number, attempts: number): Effect.Effect<Reply, StoreFailure> =>
        Effect.flatMap(port.run(keys.redisKeys(key), [op, encode(set, amounts, params, serverNow), ...extra]), (raw) => {
          const reply = learn(raw as Reply, clientNow)
          return typeof reply !== "number" && reply[0] === "stale" && attempts < 5
            ? loop(Number(reply[1]), attempts + 1)
            : Effect.succeed(reply)
        })
      return loop(clientNow + offset, 0)
    })

  const preparedCall = makePreparedCalls(port, keys.redisKeys, acquireParams)

  const reserve = (key: string, req: Request, options: ReserveOptions): Effect.Effect<Reservation, StoreFailure> => {
    if (!port.isReady()) return Effect.fail(port.notReady)
    const call = preparedCall(key, req, options)
    if (call === undefined) {
      return Effect.map(run(Op.acquire, key, req.set, req.costs, acquireParams, reserveArgs(options)), (reply) => {
        const r = typeof reply === "number" ? NOW : reservation(reply)
        if (r.admitted) keys.touch(key, ttlOf(reply))
        return r
      })
    }
    // The hot path: one callback from the connection resumes the fiber.
    return Effect.async<Reservation, StoreFailure>((resume) => {
      port.runPrepared(call, (error, raw) => {
        if (typeof raw === "number") {
          keys.touch(key, raw)
          resume(RESERVED_NOW)
        } else if (error !== undefined) {
          resume(Effect.fail(port.failure(error)))
        } else {
          const reply = learn(raw as Fields, bookClock.unsafeCurrentTimeMillis()) as Fields
          const r = reservation(reply)
          if (r.admitted) keys.touch(key, ttlOf(reply))
          resume(Effect.succeed(r))
        }
      })
    })
  }

  return {
    isReady: port.isReady,
    acquire: (key, req) => reserve(key, req, ONLY_NOW),
    reserve,
    adjust: (key, set, deltas) =>
      Effect.map(run(Op.adjust, key, set, deltas, [settings.keyTtlMarginMs, 0, 0, 0]), (reply) => {
        keys.touch(key, Number(fields(reply)[2]))
      }),
    peek: (key, set) => Effect.map(run(Op.peek, key, set, set.specs.map(() => 0), [0, 0, 0, 0]), (raw) => peekOf(set, fields(raw))),
    cooldown: (key, ms) => Effect.asVoid(run(Op.cooldown, key, NO_LIMITS, NO_AMOUNTS, [ms, settings.keyTtlMarginMs, 0, 0])),
    setRate: (key, rate, burst) =>
      Effect.asVoid(run(Op.rate, key, NO_LIMITS, NO_AMOUNTS, rate === null ? [0, 0, 0, 0] : [rate, burst, settings.rateTtlMs, 0])),
    unsupported: (set) => {
      for (const spec of set.specs) {
        if (scriptSpec(spec).script.name.length > MAX_NAME_BYTES) {
          return `limit name "${spec.name.slice(0, 40)}…" is longer than ${MAX_NAME_BYTES} bytes`
        }
      }
      return undefined
    },
    keys: keys.count
  }
}

const RESERVED_NOW: Effect.Effect<Reservation> = Effect.succeed(NOW)

/** Prepared acquires of one request with one (maxWait, batch) pair, per key. */
interface Variant<P> {
  readonly maxWaitMs: number
  readonly batch: number
  readonly calls: Map<string, P>
}

/** `{"peek", now, cd, pr, tokens...}` read against `set`. */
const peekOf = (set: LimitSet, reply: Fields): Peek => ({
  now: Number(reply[1]),
  buckets: set.specs.map((spec, i) => ({ spec, tokens: Number(reply[4 + i]) })),
  cooldownUntil: reply[2] === "" ? null : Number(reply[2]),
  adaptiveRate: reply[3] === "" ? null : Number(reply[3])
})

/**
 * The Redis keys of limiter keys (cached), and when each key this process wrote expires: from the TTL
 * the script reported, on `clock` (reading it needs no fiber).
 */
const makeKeyBook = (redisKey: (key: string) => string, clock: Clock.Clock) => {
  const redisKeys = new Map<string, ReadonlyArray<string>>()
  const live = new Map<string, number>()
  let expired = 0
  const sweep = (now: number) => {
    for (const [k, until] of live) {
      if (until <= now) {
        live.delete(k)
        expired++
      }
    }
  }
  return {
    redisKeys: (key: string): ReadonlyArray<string> => {
      let k = redisKeys.get(key)
      if (k === undefined) {
        if (redisKeys.size >= 10_000) redisKeys.clear()
        k = [redisKey(key)]
        redisKeys.set(key, k)
      }
      return k
    },
    touch: (key: string, ttl: number) => {
      if (!(ttl > 0)) return
      const now = clock.unsafeCurrentTimeMillis()
      if (!live.has(key) && live.size >= 100_000) sweep(now)
      live.set(key, now + ttl)
    },
    count: () => {
      sweep(clock.unsafeCurrentTimeMillis())
      return { live: live.size, expired }
    }
  }
}
