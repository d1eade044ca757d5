/**
 * Reading a tenant limiter: capacity per level (tokens now, when each bucket is full), usage over
 * time from the rings, and the snapshot of an entity's own key; and pacing that key (cooldown,
 * adaptive rate), which never touches its ancestors: a 429 for one customer's token pauses that
 * customer only.
 *
 * @since 0.1.0
 * @internal
 */
import { Duration, Effect, Either } from "effect"
import { type AcquireError, type InvalidPacing, RateLimiterUnavailable } from "../limiter/errors.js"
import type { Limit } from "../limiter/Limit.js"
import * as Pacing from "../limiter/pacing.js"
import type { LimiterSnapshot } from "../limiter/RateLimiter.js"
import { fromPeek, limitSnapshot } from "../limiter/snapshot.js"
import { samples, settingsOf } from "../limiter/usageRing.js"
import { ANY_RESOURCE } from "../limits/model.js"
import { type Engine, onStore, plan, resolverError } from "./engine.js"
import { parseLabel } from "./keys.js"
import type { Capacity, Usage, UsageRow } from "./models.js"

/**
 * Tokens available now per limit at every level, and when each bucket is full.
 *
 * @since 0.1.0
 * @category inspection
 */
export const capacity = (
  e: Engine,
  entity: string,
  resource: string,
  limits?: ReadonlyArray<Limit>
): Effect.Effect<Capacity, AcquireError> =>
  Effect.flatMap(plan(e, entity, resource, 0, limits), (p) =>
    Effect.map(onStore(e, e.backend.store.peekMany(p.levels)), (peeks): Capacity => ({
      entity,
      resource,
      at: peeks[0]?.now ?? 0,
      levels: peeks.map((peek, i) => ({
        entity: p.entities[i]!,
        source: p.sources[i]!,
        limits: peek.buckets.map((b) => limitSnapshot(b.spec, b.tokens, peek.now)),
        cooldownUntil: peek.cooldownUntil !== null && peek.cooldownUntil > peek.now ? peek.cooldownUntil : null
      }))
    })))

/**
 * What `entity` consumed over the last `window` (whole intervals, at most the ring's length).
 *
 * @since 0.1.0
 * @category inspection
 */
export const usage = (e: Engine, entity: string, window: Duration.DurationInput): Effect.Effect<Usage, RateLimiterUnavailable> =>
  Effect.flatMap(Effect.mapError(e.resolver.resolveChain(entity, ANY_RESOURCE), resolverError), (chain) => {
    const configured = e.backend.usage
    const ring = e.backend.naming.ring(chain[chain.length - 1]!.entity, entity)
    if (configured === undefined || ring === undefined) return Effect.succeed({ entity, intervalMs: 0, from: 0, to: 0, rows: [] })
    const windowMs = Duration.toMillis(Duration.decode(window))
    return Effect.map(onStore(e, e.backend.store.readUsage(ring)), ({ entries, now }): Usage => {
      const settings = settingsOf(entries, configured)
      const current = Math.floor(now / settings.intervalMs)
      const span = Math.min(settings.slots, Math.max(1, Math.ceil(windowMs / settings.intervalMs)))
      const rows = samples(entries, settings, now, windowMs).flatMap((s): Array<UsageRow> => {
        const label = parseLabel(s.label)
        return label === undefined ? [] : [{ start: s.start, ...label, amount: s.amount }]
      })
      return { entity, intervalMs: settings.intervalMs, from: (current - span + 1) * settings.intervalMs, to: (current + 1) * settings.intervalMs, rows }
    })
  })

/**
 * The snapshot of the entity's own key for `resource` (its limits, cooldown, adaptive pace).
 *
 * @since 0.1.0
 * @category inspection
 */
export const snapshot = (e: Engine, entity: string, resource: string): Effect.Effect<LimiterSnapshot, RateLimiterUnavailable> =>
  plan(e, entity, resource, 0, undefined).pipe(
    Effect.flatMap((p) =>
      Effect.map(onStore(e, e.backend.store.peek(p.levels[0]!.key, p.levels[0]!.req.set)), (peek) =>
        fromPeek(p.key, peek, e.minIntervalMs, 0))
    ),
    // Stored limits are valid, so only unusable fallback limits get here.
    Effect.mapError((error) =>
      error._tag === "RateLimiterUnavailable" ? error : new RateLimiterUnavailable({ store: "limits", reason: error.message, kind: "misconfigured" })
    )
  )

/**
 * Pause every admission of `entity` calling `resource` (its own key only) for `duration`.
 *
 * @since 0.1.0
 * @category pacing
 */
export const cooldown = (
  e: Engine,
  entity: string,
  resource: string,
  duration: Duration.DurationInput
): Effect.Effect<void, InvalidPacing | RateLimiterUnavailable> =>
  Effect.suspend((): Effect.Effect<void, InvalidPacing | RateLimiterUnavailable> => {
    const ms = Pacing.cooldownMillis(entity, duration)
    if (Either.isLeft(ms)) return Effect.fail(ms.left)
    if (ms.right === 0) return Effect.void
    return Effect.flatMap(entityKey(e, entity, resource), (key) => onStore(e, e.backend.store.cooldown(key, ms.right)))
  })

/**
 * Set (or remove, `null`) an adaptive pace on the entity's own key for `resource`.
 *
 * @since 0.1.0
 * @category pacing
 */
export const setRate = (
  e: Engine,
  entity: string,
  resource: string,
  rate: number | null,
  burst: number
): Effect.Effect<void, InvalidPacing | RateLimiterUnavailable> =>
  Effect.suspend((): Effect.Effect<void, InvalidPacing | RateLimiterUnavailable> => {
    const checked = Pacing.checkRate(entity, rate, burst)
    if (Either.isLeft(checked)) return Effect.fail(checked.left)
    return Effect.flatMap(entityKey(e, entity, resource), (key) => onStore(e, e.backend.store.setRate(key, rate, burst)))
  })

/** The store key of the entity's own level (only the parents are read: no limits are needed). */
const entityKey = (e: Engine, entity: string, resource: string): Effect.Effect<string, RateLimiterUnavailable> =>
  Effect.map(
    Effect.mapError(e.resolver.resolveChain(entity, resource), resolverError),
    (chain) => e.backend.naming.level(chain[chain.length - 1]!.entity, entity, resource)
  )
