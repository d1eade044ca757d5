/**
 * The tenant limiter in memory (one process): the memory store's multi-key acquire
 * (`limiter/memoryMulti.ts`) on a key table of its own, time from the Effect `Clock`.
 *
 * @since 0.1.0
 */
import { Effect, Layer, Schema } from "effect"
import { WholeNumber } from "../internal/schema.js"
import { makeCounters } from "../limiter/counters.js"
import { RateLimiterUnavailable } from "../limiter/errors.js"
import { makeMemoryMulti } from "../limiter/memoryMulti.js"
import { LimitsResolver } from "../limits/LimitsResolver.js"
import type { Engine, TenantBackend } from "./engine.js"
import { levelKey } from "./keys.js"
import {
  decodeTenantOptions,
  type InvalidTenantLimiterOptions,
  type TenantLimiterOptions,
  TenantLimiterOptionsSchema
} from "./options.js"
import { fromEngine, TenantLimiter, type TenantLimiterShape } from "./TenantLimiter.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface MemoryTenantOptions extends TenantLimiterOptions {
  /** Bound on level keys (and on usage rings) kept, least recently used first out. Default 100,000. */
  readonly maxKeys?: number | undefined
}

const decode = decodeTenantOptions(Schema.Struct({
  ...TenantLimiterOptionsSchema.fields,
  maxKeys: Schema.optionalWith(WholeNumber, { default: () => 100_000 })
}))

/**
 * A tenant limiter in memory. Fails with an `InvalidTenantLimiterOptions` naming the field when the
 * options are invalid.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory = (
  options: MemoryTenantOptions = {}
): Effect.Effect<TenantLimiterShape, InvalidTenantLimiterOptions, LimitsResolver> =>
  Effect.gen(function*() {
    const { options: { maxKeys }, settings } = yield* decode(options)
    const resolver = yield* LimitsResolver
    const backend: TenantBackend<unknown> = {
      store: makeMemoryMulti({
        policy: { throttle: settings.throttleAt < 0 ? false : settings.throttleAt, minIntervalMs: settings.minIntervalMs },
        maxKeys,
        idleTimeoutMs: Infinity,
        usage: settings.usage
      }),
      // One process: the root needs no place in the key.
      naming: {
        level: (_root, entity, resource) => levelKey(entity, resource),
        ring: (_root, entity) => (settings.usage === undefined ? undefined : entity)
      },
      usage: settings.usage,
      // The memory store never fails.
      unavailable: (error) => new RateLimiterUnavailable({ store: "memory", reason: String(error) })
    }
    const engine: Engine = {
      backend,
      resolver,
      fallback: settings.limits,
      minIntervalMs: settings.minIntervalMs,
      counters: makeCounters(),
      plans: new Map()
    }
    return fromEngine(engine)
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layerMemory = (options: MemoryTenantOptions = {}): Layer.Layer<TenantLimiter, InvalidTenantLimiterOptions, LimitsResolver> =>
  Layer.effect(TenantLimiter, makeMemory(options))
