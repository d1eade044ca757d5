/**
 * The tenant limiter on Redis: a hierarchical admission is one call of the hierarchy script over the
 * keys of the entity and its ancestors (and their usage rings), so every worker shares each level's
 * limits. Every key of one hierarchy carries its root entity's hash tag (`{prefix:app}:tenant:…`,
 * `{prefix:app}:usage:…`): on a Redis Cluster the whole hierarchy lives in the root's slot, which is
 * what lets one script touch all of it (and what puts every tenant of one root on one node). Cooldowns,
 * adaptive pacing, lease adjustments and snapshots of a level run through the limiter script on the
 * same keys. Time is Redis server time. When Redis cannot be reached, calls fail with
 * `RateLimiterUnavailable` (fail-closed).
 *
 * @since 0.1.0
 */
import { Duration, Effect, Layer, Schema } from "effect"
import { makeCounters } from "../limiter/counters.js"
import { RateLimiterUnavailable } from "../limiter/errors.js"
import { hierarchyScript as hierarchyText } from "../limiter/hierarchyScript.js"
import { makeRedisMulti } from "../limiter/redisMulti.js"
import { KeyTtlMarginOption, RateTtlOption } from "../limiter/options.js"
import { makeRedisStore, type StoreFailure } from "../limiter/redisStore.js"
import { LimitsResolver } from "../limits/LimitsResolver.js"
import type { Engine, TenantBackend } from "../tenants/engine.js"
import { levelKey } from "../tenants/keys.js"
import {
  decodeTenantOptions,
  type InvalidTenantLimiterOptions,
  type TenantLimiterOptions,
  TenantLimiterOptionsSchema
} from "../tenants/options.js"
import { fromEngine, TenantLimiter, type TenantLimiterShape } from "../tenants/TenantLimiter.js"
import { kindOf, toRedisError } from "./errors.js"
import { limiterLuaScript as limiterScript } from "./limiterPort.js"
import { Redis, RedisError, type RedisShape } from "./Redis.js"
import { script } from "./script.js"

const hierarchyScript = script(hierarchyText.name, hierarchyText.lua)

/**
 * @since 0.1.0
 * @category models
 */
export interface RedisTenantOptions extends TenantLimiterOptions {
  /** Slack added to every level key's TTL beyond the time until its buckets are full. Default 1 second. */
  readonly keyTtlMargin?: Duration.DurationInput | undefined
  /** How long a `setRate` pace survives without traffic. Default 1 hour. */
  readonly rateTtl?: Duration.DurationInput | undefined
}

// The TTLs are the Redis rate limiter's own options.
const decode = decodeTenantOptions(Schema.Struct({
  ...TenantLimiterOptionsSchema.fields,
  keyTtlMargin: KeyTtlMarginOption,
  rateTtl: RateTtlOption
}))

const notReady = new RedisError({ operation: "tenant", reason: "unavailable", detail: "connection not ready" })

/** The limiter script on keys given whole (the hierarchy names them, under its root's tag). */
const limiterPort = (redis: RedisShape) => ({
  key: (key: string) => key,
  isReady: redis.isReady,
  notReady,
  load: redis.loadScript(limiterScript),
  run: (keys: ReadonlyArray<string>, args: ReadonlyArray<string | Buffer>) => redis.evalScript(limiterScript, keys, args),
  prepare: (keys: ReadonlyArray<string>, args: ReadonlyArray<string | Buffer>) => redis.prepareScript(limiterScript, keys, args),
  runPrepared: redis.runPrepared,
  failure: (cause: unknown) => toRedisError(limiterScript.name, cause),
  kindOf
})

const unavailable = (error: StoreFailure) =>
  new RateLimiterUnavailable({ store: "redis", reason: error.message, kind: error.reason === "misconfigured" ? "misconfigured" : "outage" })

const escape = (s: string): string => s.replace(/%/g, "%25").replace(/:/g, "%3A")

/**
 * A tenant limiter on the `Redis` connection. Fails with a `Tenants.InvalidTenantLimiterOptions` naming the
 * field when the options are invalid.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeTenantLimiter = (
  options: RedisTenantOptions = {}
): Effect.Effect<TenantLimiterShape, InvalidTenantLimiterOptions, Redis | LimitsResolver> =>
  Effect.gen(function*() {
    const { options: o, settings } = yield* decode(options)
    const redis = yield* Redis
    const resolver = yield* LimitsResolver
    const clock = yield* Effect.clock
    const keyTtlMarginMs = Duration.toMillis(o.keyTtlMargin)
    const rateTtlMs = Duration.toMillis(o.rateTtl)
    yield* Effect.ignore(redis.loadScript(limiterScript))
    yield* Effect.ignore(redis.loadScript(hierarchyScript))
    const single = makeRedisStore(limiterPort(redis), {
      minIntervalMs: settings.minIntervalMs,
      keyTtlMarginMs,
      rateTtlMs,
      throttleAt: settings.throttleAt
    }, clock)
    const many = makeRedisMulti({
      isReady: redis.isReady,
      notReady,
      run: (keys, args) => redis.evalScript(hierarchyScript, keys, args),
      prepare: (keys, args) => redis.prepareScript(hierarchyScript, keys, args),
      runPrepared: redis.runPrepared,
      failure: (cause) => toRedisError(hierarchyScript.name, cause)
    }, { minIntervalMs: settings.minIntervalMs, keyTtlMarginMs, rateTtlMs, throttleAt: settings.throttleAt, usage: settings.usage }, clock)
    const backend: TenantBackend<StoreFailure> = {
      store: { ...single, ...many },
      naming: {
        level: (root, entity, resource) => redis.key(root, "tenant", levelKey(entity, resource)),
        ring: (root, entity) => (settings.usage === undefined ? undefined : redis.key(root, "usage", escape(entity)))
      },
      usage: settings.usage,
      unavailable
    }
    const engine: Engine = {
      backend: backend as TenantBackend<unknown>,
      resolver,
      fallback: settings.limits,
      minIntervalMs: settings.minIntervalMs,
      counters: makeCounters(),
      plans: new Map()
    }
    return fromEngine(engine)
  })

/**
 * The `TenantLimiter` service on Redis (needs the `Redis` connection and a `LimitsResolver`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerTenantLimiter = (
  options: RedisTenantOptions = {}
): Layer.Layer<TenantLimiter, InvalidTenantLimiterOptions, Redis | LimitsResolver> => Layer.effect(TenantLimiter, makeTenantLimiter(options))
