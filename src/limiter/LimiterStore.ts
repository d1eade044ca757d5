/**
 * The store seam of the rate limiter: where the buckets of each key live and where a decision is
 * made atomically. The memory store (`memoryStore.ts`: buckets in this process, LRU-bounded) and the
 * Redis store (`redisStore.ts`: one Lua script per decision, shared by every worker) implement it;
 * everything else is shared: validation and cost resolution (`request.ts`), the decision arithmetic
 * (`admission.ts`), snapshot math (`snapshot.ts`), leases (`lease.ts`). What a limiter does while a
 * request waits is not the store's business: the memory limiter queues waiters in FIFO order
 * (`waitQueue.ts`), the Redis limiter reserves (`reserve`) and sleeps once.
 *
 * Costs, amounts and deltas are always per limit of the request's `LimitSet`, in its order.
 *
 * ## Reservations and batches
 *
 * `reserve` takes the cost now even without room (the buckets go into debt, as a lease adjusted
 * upwards already does) and answers how long the caller must wait before using it, so the caller
 * sleeps once instead of polling; `adjust` with negated costs cancels one (a caller interrupted
 * while it sleeps). `acquire` is `reserve` with a `maxWaitMs` of 0. With `batch: n`, a request that
 * fits now takes up to `n` requests of the same cost in one decision, for a worker to hand out
 * itself (`localBatch.ts`).
 *
 * ## Several keys at once
 *
 * **One atomic acquire over several keys** (a hierarchy: app → customer → user) is `MultiKeyStore`
 * below: the same decision over `ReadonlyArray<{ key, req }>`, all or none (`memoryMulti.ts`, and on
 * Redis one call of `hierarchyScript.ts` whose keys share the root's hash tag, one cluster slot).
 *
 * @since 0.1.0
 * @internal
 */
import type { Effect } from "effect"
import type { LimitSet, Request } from "./request.js"
import type { Peek } from "./snapshot.js"

/**
 * The outcome of one acquire: admitted (the cost is consumed from every limit), or not, with how
 * long until it could be and what stands in the way (limit names, `"adaptive"`, `"cooldown"`,
 * `"pacing"`). Nothing is consumed when it is not admitted.
 *
 * @since 0.1.0
 * @category models
 */
export type Decision = Admitted | Refused

/**
 * @since 0.1.0
 * @category models
 */
export interface Admitted {
  readonly admitted: true
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Refused {
  readonly admitted: false
  readonly waitMs: number
  readonly blockedBy: ReadonlyArray<string>
}

/**
 * The one `Admitted` value (no allocation per admission).
 *
 * @since 0.1.0
 * @category constructors
 */
export const admitted: Admitted = { admitted: true }

/**
 * What a {@link LimiterStore.reserve} may do besides admitting one request now.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReserveOptions {
  /** Book the request for later when it must wait at most this long (ms; `Infinity`: any wait). */
  readonly maxWaitMs: number
  /** Admit up to this many requests of the same cost together when they fit now, unpaced. Default 1. */
  readonly batch?: number | undefined
}

/**
 * A reservation: `count` requests admitted (more than 1 only for a batch, admitted now); the
 * caller may start after `waitMs` (0: at once). The cost is already taken.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reserved {
  readonly admitted: true
  readonly waitMs: number
  readonly count: number
}

/**
 * The outcome of one reserve: reserved, or refused with nothing taken.
 *
 * @since 0.1.0
 * @category models
 */
export type Reservation = Reserved | Refused

/**
 * A limiter store. `E` is how the store itself can fail (`never` in memory).
 *
 * @since 0.1.0
 * @category models
 */
export interface LimiterStore<E> {
  /** Consume `req` from every limit of `key` and the key's pacing at once, or nothing (a {@link Decision}). */
  readonly acquire: (key: string, req: Request) => Effect.Effect<Decision, E>
  /**
   * Admit `req` now (a batch of up to `options.batch` when they fit), or book it now for later
   * within `options.maxWaitMs` (see `admission.reserve` for when a booking is refused), or nothing.
   */
  readonly reserve: (key: string, req: Request, options: ReserveOptions) => Effect.Effect<Reservation, E>
  /**
   * Change what an admission consumed, by `deltas` per limit: positive takes more (the buckets may
   * go into debt), negative gives back (never above capacity). Leases use it.
   */
  readonly adjust: (key: string, set: LimitSet, deltas: ReadonlyArray<number>) => Effect.Effect<void, E>
  /** Read the state of `key` without changing it (the buckets of `set`, or every bucket the key has). */
  readonly peek: (key: string, set: LimitSet) => Effect.Effect<Peek, E>
  /** Pause every caller of `key` for `ms` (validated by the caller); extends, never shortens. */
  readonly cooldown: (key: string, ms: number) => Effect.Effect<void, E>
  /** Set (validated by the caller) or remove (`null`) the adaptive pace of `key`. */
  readonly setRate: (key: string, ratePerSecond: number | null, burst: number) => Effect.Effect<void, E>
}

// ---------------------------------------------------------------------------------------------
// One atomic acquire over several keys (an entity and its ancestors)
// ---------------------------------------------------------------------------------------------

/**
 * One key of a multi-key acquire: the request it takes, and where the store counts what it consumed
 * per interval (`usageRing.ts`: `ring` names the counters, `labels[i]` labels `req.set.specs[i]`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Level {
  readonly key: string
  readonly req: Request
  readonly usage?: { readonly ring: string; readonly labels: ReadonlyArray<string> } | undefined
}

/**
 * What stands in the way at one level of a refused multi-key acquire: its index in the request, how
 * long until it has room, and the names (limit names, `"adaptive"`, `"cooldown"`, `"pacing"`).
 *
 * @since 0.1.0
 * @category models
 */
export interface LevelBlock {
  readonly level: number
  readonly waitMs: number
  readonly blockedBy: ReadonlyArray<string>
}

/**
 * Admitted at every level, or refused with the wait (the latest level decides) and every blocked level.
 *
 * @since 0.1.0
 * @category models
 */
export type ManyDecision = Admitted | {
  readonly admitted: false
  readonly waitMs: number
  readonly blocked: ReadonlyArray<LevelBlock>
}

/**
 * Usage counters as a store holds them: the ring's `field -> "index:amount"` entries at store time
 * `now` (see `usageRing.ts`).
 *
 * @since 0.1.0
 * @category models
 */
export interface UsageRead {
  readonly now: number
  readonly entries: ReadonlyArray<readonly [string, string]>
}

/**
 * A store that decides over several keys at once: all or none, atomically (the memory store in one
 * synchronous section, Redis in one script call over keys of one hash tag). The single-key operations
 * of {@link LimiterStore} (cooldown, setRate, adjust, peek) work on the same keys.
 *
 * @since 0.1.0
 * @category models
 */
export interface MultiKeyStore<E> {
  /** Consume each level's request from its key, and count usage where asked, or change nothing. */
  readonly acquireMany: (levels: ReadonlyArray<Level>) => Effect.Effect<ManyDecision, E>
  /** Read every level's key without changing it, at one store time. */
  readonly peekMany: (levels: ReadonlyArray<Level>) => Effect.Effect<ReadonlyArray<Peek>, E>
  /** The usage counters of `ring`. */
  readonly readUsage: (ring: string) => Effect.Effect<UsageRead, E>
}
