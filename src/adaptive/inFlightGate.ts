/**
 * The in-flight cap's gate (`inFlight.ts`) of one controller: a request waits (interruptibly) until
 * its key has room, then is counted in by its send time, and out when it ends however it ends. When
 * each request of a key unanswered in this process was sent is kept here, not in the store: a shared
 * store would keep a crashed worker's forever.
 *
 * The store is read only once the count reaches the smallest cap the limiter's burst allows: below
 * it a send never waits for a (Redis) round trip. A full key's waiters look again when one of its
 * requests leaves, or at their deadline (`maxRetryAfter`); one of them (the watcher) looks every slot
 * too, to pause the key's pace once the oldest unanswered is late: one store read and one pause a
 * slot for the key, whatever the number of waiters.
 *
 * @since 0.2.0
 */
import { Clock, Deferred, Duration, Effect } from "effect"
import type { RateLimiterUnavailable } from "../limiter/errors.js"
import type { RateLimiterShape } from "../limiter/RateLimiter.js"
import type * as Aimd from "./aimdState.js"
import * as InFlight from "./inFlight.js"
import { burstFor, type ResolvedOptions } from "./options.js"

interface Key {
  /** When each request unanswered in this process was sent, in send order. */
  readonly sent: Array<number>
  /** Completed (and dropped) when a request leaves: the waiters look again. */
  left: Deferred.Deferred<void> | undefined
  /** Whether a waiter looks every slot already. */
  watched: boolean
}

/**
 * Run `send` once its key has room in flight (see the module's comment).
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (
  limiter: RateLimiterShape,
  resolved: ResolvedOptions,
  current: (key: string, now: number) => Effect.Effect<Aimd.AimdState, RateLimiterUnavailable>
) =>
  Effect.sync(() => {
    const keys = new Map<string, Key>()
    const maxMs = resolved.aimd.maxRetryAfterMs
    const floor = InFlight.floor(resolved.burst ?? 1)
    const entry = (key: string): Key => {
      const e = keys.get(key) ?? { sent: [], left: undefined, watched: false }
      keys.set(key, e)
      return e
    }
    // Wakes the key's waiters; the key is forgotten once nothing of it is in flight.
    const wake = (key: string) =>
      Effect.suspend(() => {
        const e = keys.get(key)
        if (e === undefined) return Effect.void
        const d = e.left
        e.left = undefined
        if (e.sent.length === 0 && !e.watched) keys.delete(key)
        return d === undefined ? Effect.void : Deferred.succeed(d, undefined)
      })
    const leave = (key: string, at: number) =>
      Effect.suspend(() => {
        const sent = keys.get(key)?.sent
        const i = sent === undefined ? -1 : sent.indexOf(at)
        if (i >= 0) sent!.splice(i, 1)
        return wake(key)
      })
    const admit = (key: string, restore: <A, E, R>(e: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>) => {
      let watching = false
      const look = (since: number): Effect.Effect<number> =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          if (entry(key).sent.length >= floor) {
            const s = yield* restore(current(key, now)).pipe(Effect.orElseSucceed(() => undefined))
            const cap = s === undefined || now - since >= maxMs ? null : InFlight.cap(s, burstFor(resolved, s.rate))
            const e = entry(key)
            if (cap !== null && e.sent.length >= cap) {
              watching ||= !e.watched
              e.watched = true
              const slot = InFlight.slotMs(s!.rate, maxMs)
              if (watching && InFlight.stalled(e.sent[0]!, now, s!.rttMs)) {
                yield* Effect.ignore(limiter.cooldown(key, Duration.millis(slot)))
              }
              const left = e.left ??= Deferred.unsafeMake<void>(yield* Effect.fiberId)
              const wait = Math.max(0, Math.min(watching ? slot : Infinity, since + maxMs - now))
              yield* restore(Effect.race(Deferred.await(left), Effect.sleep(Duration.millis(wait))))
              return yield* look(since)
            }
          }
          entry(key).sent.push(now)
          return now
        })
      // A watcher that goes hands the watch on: the waiters look again, and one takes it.
      const unwatch = Effect.suspend(() => {
        if (!watching) return Effect.void
        const e = keys.get(key)
        if (e !== undefined) e.watched = false
        return wake(key)
      })
      return Effect.flatMap(Clock.currentTimeMillis, (since) => Effect.ensuring(look(since), unwatch))
    }
    return <A, E, R>(key: string, send: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.uninterruptibleMask((restore) => Effect.flatMap(admit(key, restore), (at) => Effect.ensuring(restore(send), leave(key, at))))
  })
