/**
 * A Redis-backed `ControllerStore` for the adaptive controller: the learned rate (the whole AIMD
 * state) of a key is shared by every worker, so N workers converge on the API's real limit together
 * instead of each learning it and sending N times it.
 *
 * `modify` is optimistic and atomic: the state carries a version; the pure update is computed in the
 * worker, then a Lua script stores it only if the version is still the one it was computed from
 * (compare-and-set), else answers the newer state so the update is recomputed on it. Uncontended, an
 * update is one round trip (the last state seen is cached per key and used as the first guess).
 *
 * @since 0.1.0
 */
import { Duration, Effect, Schema } from "effect"
import type { AimdState } from "../adaptive/aimd.js"
import { type ControllerStore, InvalidAdaptiveOptions } from "../adaptive/AdaptiveController.js"
import * as RestoreRate from "../adaptive/restoreRate.js"
import * as WindowGate from "../adaptive/windowGate.js"
import { MAX_LIMIT_PERIOD } from "../internal/bounds.js"
import { makeKeyedLock } from "../internal/keyedLock.js"
import { anyDurationUpTo, decodeOptions, intBetween } from "../internal/schema.js"
import { RateLimiterUnavailable } from "../limiter/errors.js"
import { isOutage, kindOf } from "./errors.js"
import { Redis, type RedisError } from "./Redis.js"
import { script } from "./script.js"

const casScript = script(
  "governor_adaptive_cas",
  `
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then
  return {0, tostring(v), redis.call('HGET', KEYS[1], 's') or ''}
end
redis.call('HSET', KEYS[1], 'v', tostring(v + 1), 's', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, tostring(v + 1), ''}
`
)

/**
 * @since 0.1.0
 * @category models
 */
export interface RedisAdaptiveStoreOptions {
  /** How long a key's learned state survives without updates. Default 1 hour. */
  readonly ttl?: Duration.DurationInput | undefined
  /**
   * When Redis is unreachable: `"local"` (default) keeps learning in this process and goes back to the
   * shared state when Redis returns; `"fail"` fails with `RateLimiterUnavailable`. A misconfigured
   * Redis (a cluster redirect reaching a standalone client) always fails (`kind: "misconfigured"`).
   */
  readonly onUnavailable?: "local" | "fail" | undefined
  /** Compare-and-set attempts before giving up under contention. Default 32. */
  readonly maxAttempts?: number | undefined
}

// JSON cannot carry Infinity/NaN; keep the state faithful anyway. The header readings and the window
// gate's log, most of the state, are packed (`RestoreRate.pack`, `WindowGate.packLog`): the state goes
// to Redis on every answer.
const packed = (state: AimdState) => ({
  ...state,
  ...(state.restore === undefined ? {} : { restore: { ...state.restore, samples: RestoreRate.pack(state.restore.samples) } }),
  ...(state.windowGate == null ? {} : { windowGate: { ...state.windowGate, log: WindowGate.packLog(state.windowGate.log) } })
})
const unpacked = (state: AimdState): AimdState => {
  const restore = state.restore
  const gate = state.windowGate
  return {
    ...state,
    ...(restore?.samples === undefined ? {} : { restore: { ...restore, samples: RestoreRate.unpack(restore.samples) } }),
    ...(gate == null ? {} : { windowGate: { ...gate, log: WindowGate.unpackLog(gate.log) } })
  }
}
const encode = (state: AimdState): string =>
  JSON.stringify(packed(state), (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? { $n: String(v) } : v))
const decode = (text: string): AimdState | undefined => {
  if (text === "") return undefined
  try {
    const state = JSON.parse(text, (_k, v) =>
      v !== null && typeof v === "object" && typeof (v as { $n?: unknown }).$n === "string" ? Number((v as { $n: string }).$n) : v) as AimdState
    return state === null || typeof state !== "object" ? undefined : unpacked(state)
  } catch {
    return undefined
  }
}

/** Keys remembered (last seen, learned offline) per process. */
const MAX_KEYS = 10_000

/** Sets `key` in a map holding at most `max` keys, evicting the oldest inserted when full. */
const setBounded = <V>(map: Map<string, V>, key: string, value: V, max: number): void => {
  if (map.size >= max && !map.has(key)) map.delete(map.keys().next().value!)
  map.set(key, value)
}

const decodeStoreOptions = decodeOptions(
  Schema.Struct({
    ttl: Schema.optionalWith(anyDurationUpTo(MAX_LIMIT_PERIOD, { positive: true }), { default: () => Duration.hours(1) }),
    onUnavailable: Schema.optionalWith(Schema.Literal("local", "fail"), { default: () => "local" as const }),
    maxAttempts: Schema.optionalWith(intBetween(1, 1000), { default: () => 32 })
  }),
  (field, reason) => new InvalidAdaptiveOptions({ field, reason })
)

type Seen = { readonly version: number; readonly state: AimdState | undefined }
type Update<A> = (state: AimdState | undefined) => readonly [A, AimdState]

/**
 * Compare-and-set from the version last seen: on a lost race the script answers the newer state,
 * the update is recomputed on it, up to `maxAttempts` times.
 */
const compareAndSet = <A>(
  redis: Redis["Type"],
  key: string,
  hashKey: string,
  o: {
    readonly ttlMs: number
    readonly maxAttempts: number
    readonly remember: (seen: Seen) => void
    /** The update is stored: what was learned offline is superseded. */
    readonly stored: () => void
  },
  f: Update<A>,
  seen: Seen,
  n = 0
): Effect.Effect<readonly [A, AimdState], RedisError | RateLimiterUnavailable> => {
  const result = f(seen.state)
  return Effect.flatMap(redis.evalScript(casScript, [hashKey], [seen.version, encode(result[1]), o.ttlMs]), (raw) => {
    const [ok, v, s] = raw as [number, string, string]
    if (ok === 1) {
      o.remember({ version: Number(v), state: result[1] })
      o.stored()
      return Effect.succeed(result)
    }
    if (n + 1 >= o.maxAttempts) {
      return Effect.fail(
        new RateLimiterUnavailable({ store: "redis-adaptive", reason: `update of "${key}" lost ${o.maxAttempts} races in a row` })
      )
    }
    const fresh = { version: Number(v), state: decode(s) }
    o.remember(fresh)
    return compareAndSet(redis, key, hashKey, o, f, fresh, n + 1)
  })
}

/**
 * Build the store on the {@link Redis} connection in context. Fails with an `InvalidAdaptiveOptions`
 * naming a bad option.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { AdaptiveController } from "effect-governor"
 * import { makeAdaptiveStore, Redis } from "effect-governor/redis"
 * const Adaptive = Layer.unwrapEffect(Effect.map(makeAdaptiveStore(), (store) =>
 *   AdaptiveController.layerWithStore({ initialRate: 3 }, Effect.succeed(store))
 * )).pipe(Layer.provide(Redis.layerConfig()))
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const makeAdaptiveStore = (
  options: RedisAdaptiveStoreOptions = {}
): Effect.Effect<ControllerStore, InvalidAdaptiveOptions, Redis> =>
  Effect.gen(function*() {
    const o = yield* decodeStoreOptions(options)
    const redis = yield* Redis
    const ttlMs = Math.max(1, Math.ceil(Duration.toMillis(o.ttl)))
    const local = o.onUnavailable !== "fail"
    yield* redis.loadScript(casScript).pipe(Effect.ignore)
    /** Last version/state seen per key (a first guess; Redis decides). Bounded. */
    const seen = new Map<string, Seen>()
    /** State learned while Redis was away (only with `onUnavailable: "local"`). Bounded. */
    const offline = new Map<string, AimdState>()
    const unavailable = (error: RedisError) =>
      new RateLimiterUnavailable({ store: "redis-adaptive", reason: error.message, kind: kindOf(error) })
    // Learning locally is for outages; a misconfiguration (MOVED, CROSSSLOT) must surface.
    const goLocal = (error: RedisError) => local && isOutage(error)
    const hashKey = (key: string) => redis.key(key, "adaptive")

    const get: ControllerStore["get"] = (key) =>
      redis.command("adaptive get", (c) => c.hmget(hashKey(key), "v", "s")).pipe(
        Effect.map(([v, s]) => ({ version: Number(v ?? 0), state: decode(s ?? "") })),
        Effect.tap((read) => Effect.sync(() => setBounded(seen, key, read, MAX_KEYS))),
        Effect.map(({ state }) => state),
        Effect.catchAll((error) => goLocal(error) ? Effect.succeed(offline.get(key) ?? seen.get(key)?.state) : Effect.fail(unavailable(error)))
      )

    const modifyNow: ControllerStore["modify"] = (key, f) => {
      const remember = (s: Seen) => setBounded(seen, key, s, MAX_KEYS)
      const first = seen.get(key) ?? { version: 0, state: undefined }
      const stored = () => offline.delete(key)
      return compareAndSet(redis, key, hashKey(key), { ttlMs, maxAttempts: o.maxAttempts, remember, stored }, f, first).pipe(
        Effect.map(([a]) => a),
        Effect.catchIf(
          (e): e is RedisError => e._tag === "RedisError",
          (error) => {
            if (!goLocal(error)) return Effect.fail(unavailable(error))
            const [a, next] = f(offline.get(key) ?? seen.get(key)?.state)
            setBounded(offline, key, next, MAX_KEYS)
            return Effect.succeed(a)
          }
        )
      )
    }
    // Updates of one key from this process go one at a time: only other processes can race a
    // compare-and-set, so retries stay rare even with many fibers observing the same API.
    const serialized = makeKeyedLock()
    return { name: "redis", get, modify: (key, f) => serialized(key, modifyNow(key, f)) }
  })
