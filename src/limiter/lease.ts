/**
 * Leases, the same for every store: an admission whose cost is corrected later (`adjust` sends the
 * difference to the store: more goes into debt, less is given back), optionally refunded when its
 * scope closes with a failure or an interruption.
 *
 * @since 0.1.0
 * @internal
 */
import { Effect, Exit } from "effect"
import type { Scope } from "effect"
import type { AcquireError } from "./errors.js"
import type { Cost, Lease, Permit } from "./RateLimiter.js"
import { type Request, resolveCost } from "./request.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface LeaseOf {
  readonly permit: Permit
  /** What the admission consumed. */
  readonly req: Request
  readonly refundOnFailure: boolean
  /** Send per-limit differences to the store (the lease's `current` moves only when it succeeds). */
  readonly adjust: (deltas: ReadonlyArray<number>) => Effect.Effect<void, AcquireError>
  /** Run when the scope closes, before any refund. */
  readonly release: Effect.Effect<void>
}

/**
 * The lease of an admission, tied to the current scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: LeaseOf): Effect.Effect<Lease, never, Scope.Scope> => {
  const { permit, req } = options
  let current = req
  const adjust = (cost: Cost): Effect.Effect<void, AcquireError> =>
    Effect.suspend(() => {
      const next = resolveCost(permit.key, req.set, cost)
      if (!("set" in next)) return Effect.fail(next)
      const deltas = next.costs.map((c, i) => c - current.costs[i]!)
      if (deltas.every((d) => d === 0)) {
        current = next
        return Effect.void
      }
      return Effect.map(options.adjust(deltas), () => {
        current = next
      })
    })
  const lease: Lease = { ...permit, adjust, current: Effect.sync(() => current.record) }
  return Effect.as(
    Effect.addFinalizer((exit) =>
      Effect.zipRight(
        options.release,
        options.refundOnFailure && Exit.isFailure(exit) ? Effect.ignore(adjust(0)) : Effect.void
      )
    ),
    lease
  )
}
