/**
 * Batched tokens for hot keys (the Redis limiter's opt-in `localBatch: n`): a request that finds
 * room takes up to `n` requests' worth of tokens in one round trip (`LimiterStore.reserve` with
 * `batch: n`) and this process hands the rest out itself, without asking Redis again, from a
 * "pocket" per key and request cost.
 *
 * **Overshoot bound.** The shared buckets never give out more than the limit; what a pocket holds
 * was taken earlier than it is handed out, so over a window the requests admitted can exceed the
 * limit by what the pockets held when it began: at most `n - 1` per process and key (one refill in
 * flight per pocket, the surplus of one batch). With P processes: at most P × (n - 1) beyond the
 * limit, and only while pockets hold tokens, i.e. within `ttl` of a key's last use in a process
 * (then its tokens are given back). Batches are only taken above the proactive throttling threshold
 * and never while a cooldown, pause or adaptive pace is in force (see `admission.batchSize`); this
 * process's own `cooldown`/`setRate` give a key's pockets back at once.
 *
 * Only requests resolved once per limit set and amount (cost 1, or a number: see `request.ts`) are
 * batched; cost maps are decided one by one. At most {@link MAX_POCKETS} pockets are kept.
 *
 * @since 0.1.0
 * @internal
 */
import { Deferred, Effect, Exit, FiberId } from "effect"
import type { Clock } from "effect"
import type { LimiterStore, Reservation, Reserved } from "./LimiterStore.js"
import type { Request } from "./request.js"

/**
 * The pockets of one limiter.
 *
 * @since 0.1.0
 * @category models
 */
export interface Pockets<E> {
  /** A token from the pocket of `(key, req)`, else the store (a batch when the pocket is empty). */
  readonly reserve: (key: string, req: Request, maxWaitMs: number) => Effect.Effect<Reservation, E>
  /** Give back the tokens of pockets unused for `ttl` (run every `ttl`). */
  readonly sweep: Effect.Effect<void>
  /** Give back every pocket of `key` (a cooldown or pace of this process). */
  readonly release: (key: string) => Effect.Effect<void>
  /** Give back every pocket (the limiter closes). */
  readonly drain: Effect.Effect<void>
  /** Tokens held in pockets now. */
  readonly held: () => number
}

/** Most pockets kept: past it, new keys are decided one request per round trip. */
export const MAX_POCKETS = 10_000

interface Pocket {
  left: number
  usedAt: number
  /** The batch call in flight, if any: other fibers wait for it, then look again. */
  refill: Deferred.Deferred<void> | null
}

const FROM_POCKET: Effect.Effect<Reservation> = Effect.succeed<Reserved>({ admitted: true, waitMs: 0, count: 1 })

const batchable = (req: Request): boolean => req === req.set.unit || req.set.byAmount.get(req.amount) === req

/**
 * Pockets over `store`, `size` requests per batch; `giveBack` returns `count` requests of `req` to
 * the store (errors handled by the caller).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makePockets = <E>(
  store: Pick<LimiterStore<E>, "reserve">,
  size: number,
  ttlMs: number,
  clock: Clock.Clock,
  giveBack: (key: string, req: Request, count: number) => Effect.Effect<void>
): Pockets<E> => {
  const pockets = new Map<Request, Map<string, Pocket>>()
  let count = 0

  const reserve = (key: string, req: Request, maxWaitMs: number): Effect.Effect<Reservation, E> => {
    if (!batchable(req)) return store.reserve(key, req, { maxWaitMs })
    let byKey = pockets.get(req)
    if (byKey === undefined) {
      byKey = new Map()
      pockets.set(req, byKey)
    }
    let p = byKey.get(key)
    if (p === undefined) {
      if (count >= MAX_POCKETS) return store.reserve(key, req, { maxWaitMs })
      p = { left: 0, usedAt: 0, refill: null }
      byKey.set(key, p)
      count++
    }
    p.usedAt = clock.unsafeCurrentTimeMillis()
    if (p.left > 0) {
      p.left--
      return FROM_POCKET
    }
    if (p.refill !== null) return Effect.flatMap(Deferred.await(p.refill), () => reserve(key, req, maxWaitMs))
    const pocket = p
    const done = Deferred.unsafeMake<void>(FiberId.none)
    pocket.refill = done
    return store.reserve(key, req, { maxWaitMs, batch: size }).pipe(
      Effect.map((r) => {
        if (r.admitted && r.count > 1) pocket.left += r.count - 1
        return r
      }),
      Effect.ensuring(Effect.sync(() => {
        pocket.refill = null
        Deferred.unsafeDone(done, Exit.void)
      }))
    )
  }

  /** Take the tokens of the pockets `pick` chooses out of their pockets (synchronously), then give them back. */
  const empty = (pick: (key: string, p: Pocket, now: number) => boolean): Effect.Effect<void> =>
    Effect.suspend(() => {
      const now = clock.unsafeCurrentTimeMillis()
      const back: Array<Effect.Effect<void>> = []
      for (const [req, byKey] of pockets) {
        for (const [key, p] of byKey) {
          // A pocket with a batch in flight stays: its reply adds to it.
          if (p.refill !== null || !pick(key, p, now)) continue
          byKey.delete(key)
          count--
          if (p.left > 0) back.push(giveBack(key, req, p.left))
        }
        if (byKey.size === 0) pockets.delete(req)
      }
      return Effect.all(back, { concurrency: 8, discard: true })
    })

  return {
    reserve,
    sweep: empty((_, p, now) => now - p.usedAt >= ttlMs),
    release: (key) => empty((k) => k === key),
    drain: empty(() => true),
    held: () => {
      let n = 0
      for (const byKey of pockets.values()) for (const p of byKey.values()) n += p.left
      return n
    }
  }
}
