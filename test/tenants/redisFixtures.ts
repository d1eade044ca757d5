/** A tenant limiter on Redis with its own connection, limits store and resolver, as a separate worker has. */
import { Context, type Duration, Effect, Layer } from "effect"
import * as LimitsResolver from "../../src/limits/LimitsResolver.js"
import { LimitsStore } from "../../src/limits/LimitsStore.js"
import { layerLimitsStore } from "../../src/redis/limitsStore.js"
import type * as Redis from "../../src/redis/Redis.js"
import { layerTenantLimiter, type RedisTenantOptions } from "../../src/redis/tenantLimiter.js"
import { TenantLimiter } from "../../src/Tenants.js"

export const tenantOn = (
  connection: Layer.Layer<Redis.Redis, unknown>,
  options: RedisTenantOptions = {},
  ttl: Duration.DurationInput = "10 seconds"
) =>
  Layer.build(
    layerTenantLimiter({ throttle: false, ...options }).pipe(
      Layer.provideMerge(LimitsResolver.layer({ ttl })),
      Layer.provideMerge(layerLimitsStore()),
      Layer.provideMerge(connection)
    )
  ).pipe(
    Effect.orDie,
    Effect.map((ctx) => ({ tenants: Context.get(ctx, TenantLimiter), store: Context.get(ctx, LimitsStore), layer: Layer.succeedContext(ctx) }))
  )
