/**
 * One-at-a-time per key: a semaphore of one permit per key, made on first use and dropped when its
 * last user leaves (the map never holds idle keys).
 *
 * @since 0.1.0
 * @internal
 */
import { Effect } from "effect"

/** @internal */
export const makeKeyedLock = () => {
  const locks = new Map<string, { readonly lock: Effect.Semaphore; users: number }>()
  return <A, E, R>(key: string, self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.suspend(() => {
      let entry = locks.get(key)
      if (entry === undefined) {
        entry = { lock: Effect.unsafeMakeSemaphore(1), users: 0 }
        locks.set(key, entry)
      }
      const e = entry
      e.users++
      return e.lock.withPermits(1)(self).pipe(
        Effect.ensuring(Effect.sync(() => {
          if (--e.users === 0) locks.delete(key)
        }))
      )
    })
}
