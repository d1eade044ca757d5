/**
 * Store access from the request path: a failing store degrades to a miss or a skipped write,
 * logged at warning level and counted, and never fails a request.
 *
 * @since 0.1.0
 * @internal
 */
import { Duration, Effect, Option } from "effect"
import type { CacheEntry, CacheStore, CacheStoreError } from "./CacheStore.js"
import type { Counters } from "./counters.js"

/** @internal */
export interface StoreAccess {
  readonly get: (key: string) => Effect.Effect<Option.Option<CacheEntry>>
  /** Keeps the entry for `retainMs` (nothing when not positive). */
  readonly set: (key: string, entry: CacheEntry, retainMs: number) => Effect.Effect<void>
  readonly delete: (key: string) => Effect.Effect<void>
}

/** @internal */
export const makeStoreAccess = (store: CacheStore, counters: Counters): StoreAccess => {
  const absorb = <A>(fallback: A) => (e: CacheStoreError): Effect.Effect<A> =>
    Effect.as(
      Effect.suspend(() => {
        counters.storeErrors++
        return Effect.logWarning(`response cache: ${e.message}`)
      }),
      fallback
    )
  return {
    get: (key) => Effect.catchAll(store.get(key), absorb(Option.none<CacheEntry>())),
    set: (key, entry, retainMs) =>
      Effect.catchAll(store.set(key, entry, Duration.millis(Math.max(0, retainMs))), absorb<void>(undefined)),
    delete: (key) => Effect.catchAll(Effect.asVoid(store.delete(key)), absorb<void>(undefined))
  }
}
