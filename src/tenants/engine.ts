/**
 * The admission of a tenant limiter, the same for every store: resolve the entity's hierarchy (from
 * the limits store, through the resolver's TTL cache: no round trip on the hot path), plan its levels
 * (`plan.ts`), and decide over all of them at once with the store's multi-key acquire. When a level
 * has no room, sleep as long as the store says and ask again (re-resolving, so a limit changed
 * meanwhile applies), within `maxWait`; the refusal names every blocked level.
 *
 * @since 0.1.0
 * @internal
 */
import { Clock, Duration, Effect, Exit } from "effect"
import type { Scope } from "effect"
import { admit, type Counters } from "../limiter/counters.js"
import { type AcquireError, InvalidCost, type LimitViolation, RateLimiterUnavailable, RateLimitExceeded } from "../limiter/errors.js"
import type { Limit } from "../limiter/Limit.js"
import type { LevelBlock, LimiterStore, MultiKeyStore } from "../limiter/LimiterStore.js"
import type { Cost } from "../limiter/RateLimiter.js"
import { maxWaitMillis, reportedCost, type Request, resolveCost } from "../limiter/request.js"
import type { UsageSettings } from "../limiter/usageRing.js"
import type { InvalidHierarchy, LimitsStoreError } from "../limits/errors.js"
import type { LimitsResolverShape } from "../limits/LimitsResolver.js"
import type { Resolved } from "../limits/resolve.js"
import type { TenantAcquireOptions, TenantLease, TenantLeaseOptions, TenantPermit } from "./models.js"
import { type KeyNaming, type Planned, planLevels } from "./plan.js"

/**
 * A store a tenant limiter runs on: the single- and multi-key operations, where its keys live, and how
 * its failures read.
 *
 * @since 0.1.0
 * @category models
 */
export interface TenantBackend<E> {
  readonly store: LimiterStore<E> & MultiKeyStore<E>
  readonly naming: KeyNaming
  readonly usage: UsageSettings | undefined
  readonly unavailable: (error: E) => RateLimiterUnavailable
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Engine {
  readonly backend: TenantBackend<unknown>
  readonly resolver: LimitsResolverShape
  readonly fallback: ReadonlyArray<Limit>
  readonly minIntervalMs: number
  readonly counters: Counters
  /** Plans of unit-cost admissions by entity and resource, reused while their resolution is the same. */
  readonly plans: Map<string, { readonly chain: ReadonlyArray<Resolved>; readonly fallback: ReadonlyArray<Limit>; readonly planned: Planned }>
}

/** The same resolution: the same entities, sources and limit lists (the cache hands out the same arrays). */
const sameChain = (a: ReadonlyArray<Resolved>, b: ReadonlyArray<Resolved>): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!
    const y = b[i]!
    if (x.entity !== y.entity || x.limits !== y.limits || x.source !== y.source) return false
  }
  return true
}

/** The limits store could not answer, or the hierarchy loops: nothing may be admitted on it. */
export const resolverError = (e: LimitsStoreError | InvalidHierarchy) =>
  new RateLimiterUnavailable({ store: "limits", reason: e.message, kind: e._tag === "InvalidHierarchy" ? "misconfigured" : "outage" })

/**
 * The planned levels of `entity` calling `resource` for `cost`.
 *
 * @since 0.1.0
 * @category admission
 */
export const plan = (
  e: Engine,
  entity: string,
  resource: string,
  cost: Cost | undefined,
  limits: ReadonlyArray<Limit> | undefined
): Effect.Effect<Planned, AcquireError> =>
  Effect.flatMap(Effect.mapError(e.resolver.resolveChain(entity, resource), resolverError), (chain) => {
    const fallback = limits ?? e.fallback
    const unit = cost === undefined || cost === 1
    const id = unit ? `${entity}\u0000${resource}` : ""
    const known = unit ? e.plans.get(id) : undefined
    if (known !== undefined && known.fallback === fallback && sameChain(known.chain, chain)) return Effect.succeed(known.planned)
    const planned = planLevels(chain, resource, cost, fallback, e.backend.naming)
    if (!("levels" in planned)) return Effect.fail(planned)
    if (unit) {
      if (e.plans.size >= 10_000) e.plans.clear()
      e.plans.set(id, { chain, fallback, planned })
    }
    return Effect.succeed(planned)
  })

/** Run a store operation, its failure as `RateLimiterUnavailable`. */
export const onStore = <A>(e: Engine, effect: Effect.Effect<A, unknown>): Effect.Effect<A, RateLimiterUnavailable> =>
  Effect.mapError(effect, e.backend.unavailable)

const violationsOf = (p: Planned, blocked: ReadonlyArray<LevelBlock>): Array<LimitViolation> =>
  blocked.flatMap((b) => b.blockedBy.map((limit) => ({ entity: p.entities[b.level]!, limit, wait: Duration.millis(Math.ceil(b.waitMs)) })))

/** The permit of an admission without a wait, per plan (immutable, so shared). */
const immediate = new WeakMap<Planned, TenantPermit>()

const permitOf = (e: Engine, o: TenantAcquireOptions, p: Planned, waitedMs: number, waitedOn: ReadonlyArray<LimitViolation>): TenantPermit => {
  const shared = waitedMs === 0 && waitedOn.length === 0
  if (shared) {
    const known = immediate.get(p)
    if (known !== undefined) {
      admit(e.counters, p.key, known.costs, 0)
      return known
    }
  }
  const costs: Record<string, number> = {}
  for (let i = p.levels.length - 1; i >= 0; i--) Object.assign(costs, p.levels[i]!.req.record)
  const permit: TenantPermit = {
    ...admit(e.counters, p.key, costs, waitedMs),
    entity: o.entity,
    resource: o.resource,
    levels: p.entities.map((entity, i) => ({ entity, source: p.sources[i]! })),
    waitedOn
  }
  if (shared) immediate.set(p, permit)
  return permit
}

/**
 * Admit at every level of the hierarchy at once, waiting within `maxWait`; with the plan it was admitted on.
 *
 * @since 0.1.0
 * @category admission
 */
export const acquireLevels = (
  e: Engine,
  o: TenantAcquireOptions
): Effect.Effect<{ readonly permit: TenantPermit; readonly planned: Planned }, AcquireError> =>
  Effect.suspend(() => {
    const maxWaitMs = maxWaitMillis(o.entity, o.maxWait)
    if (typeof maxWaitMs !== "number") return Effect.fail(maxWaitMs)
    const attempt = (start: number, waitedOn: ReadonlyArray<LimitViolation>) =>
      Effect.flatMap(plan(e, o.entity, o.resource, o.cost, o.limits), (p) =>
        Effect.flatMap(onStore(e, e.backend.store.acquireMany(p.levels)), (d) => {
          if (d.admitted) {
            // Admitted at once: the clock is only read when there was waiting to time.
            if (start < 0) return Effect.succeed({ permit: permitOf(e, o, p, 0, waitedOn), planned: p })
            return Effect.map(Clock.currentTimeMillis, (now) => ({ permit: permitOf(e, o, p, now - start, waitedOn), planned: p }))
          }
          return Effect.flatMap(start < 0 ? Clock.currentTimeMillis : Effect.succeed(start), (began) =>
            Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<{ permit: TenantPermit; planned: Planned }, AcquireError> => {
              const violations = violationsOf(p, d.blocked)
              if (now - began + d.waitMs > maxWaitMs) {
                e.counters.rejected++
                const limits = [...new Set(violations.map((v) => v.limit))]
                return Effect.fail(
                  new RateLimitExceeded({
                    key: p.key,
                    limits,
                    // Whole milliseconds, as Redis reports them.
                    retryAfter: Duration.millis(Math.ceil(d.waitMs)),
                    cost: reportedCost(p.levels[0]!.req, limits),
                    violations
                  })
                )
              }
              return Effect.zipRight(Effect.sleep(Duration.millis(d.waitMs)), attempt(began, violations))
            }))
        }))
    return attempt(-1, [])
  })

/** Each level's request for `cost` (names a level lacks cost it nothing there). */
const requestsFor = (p: Planned, cost: Cost): Array<Request> | InvalidCost => {
  const out: Array<Request> = []
  for (const { req } of p.levels) {
    const slice = typeof cost === "number" ? cost : Object.fromEntries(Object.entries(cost).filter(([n]) => req.set.index.has(n)))
    const next = resolveCost(p.key, req.set, slice)
    if (next instanceof InvalidCost) return next
    out.push(next)
  }
  return out
}

/**
 * A scoped admission at every level whose cost is corrected later (each level's difference is sent
 * to its key; not atomic across levels, as an adjustment never refuses).
 *
 * @since 0.1.0
 * @category admission
 */
export const leaseLevels = (e: Engine, o: TenantLeaseOptions): Effect.Effect<TenantLease, AcquireError, Scope.Scope> =>
  Effect.flatMap(acquireLevels(e, o), ({ permit, planned }) => {
    let current = planned.levels.map((l) => l.req)
    const adjust = (cost: Cost): Effect.Effect<void, AcquireError> =>
      Effect.suspend((): Effect.Effect<void, AcquireError> => {
        const next = requestsFor(planned, cost)
        if (next instanceof InvalidCost) return Effect.fail(next)
        return Effect.forEach(planned.levels, (level, i) => {
          const deltas = next[i]!.costs.map((c, j) => c - current[i]!.costs[j]!)
          return deltas.every((d) => d === 0) ? Effect.void : onStore(e, e.backend.store.adjust(level.key, level.req.set, deltas))
        }, { discard: true }).pipe(Effect.tap(() => {
          current = next
        }))
      })
    return Effect.as(
      Effect.addFinalizer((exit) => o.refundOnFailure === true && Exit.isFailure(exit) ? Effect.ignore(adjust(0)) : Effect.void),
      {
        ...permit,
        adjust,
        current: Effect.sync(() => {
          const costs: Record<string, number> = {}
          for (let i = current.length - 1; i >= 0; i--) Object.assign(costs, current[i]!.record)
          return costs
        })
      }
    )
  })
