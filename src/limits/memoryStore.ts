/**
 * The in-memory limits store: one process, a map of texts and a bounded ring of audit events. For
 * tests and single-process services; several processes share limits through the Redis store.
 *
 * @since 0.1.0
 */
import { Clock, Effect, Layer, Stream } from "effect"
import { actionOf, type AuditEvent, decodeStoreOptions, selectEvents } from "./audit.js"
import type { InvalidLimitsStoreOptions } from "./errors.js"
import { fromBackend, type LimitsBackend, LimitsStore, type LimitsStoreShape } from "./LimitsStore.js"
import { parseKey } from "./model.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface MemoryLimitsStoreOptions {
  /** Audit events kept (the oldest are dropped beyond it); default 1000. */
  readonly auditCapacity?: number | undefined
}

/**
 * A fresh, empty in-memory store. Writes are atomic because they run synchronously (no yield
 * between the read, the compare and the write). Fails with an `InvalidLimitsStoreOptions` naming a bad option.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory = (options: MemoryLimitsStoreOptions = {}): Effect.Effect<LimitsStoreShape, InvalidLimitsStoreOptions> =>
  Effect.map(decodeStoreOptions(options), ({ auditCapacity: capacity }) => {
    const texts = new Map<string, string>()
    const ring: Array<AuditEvent> = []
    let lastMs = 0
    let seq = 0
    const backend: LimitsBackend = {
      read: (keys) => Effect.sync(() => keys.map((key) => texts.get(key))),
      readAll: Effect.sync(() => new Map(texts)),
      write: (key, next, source, expected) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          const before = texts.get(key)
          if (expected !== undefined && expected.text !== before) return { _tag: "conflict" as const }
          const action = actionOf(before, next)
          const target = parseKey(key)
          if (action === undefined || target === undefined) return { _tag: "unchanged" as const }
          if (next === undefined) texts.delete(key)
          else texts.set(key, next)
          // Ids increase even when the clock stands still (TestClock) or steps back.
          seq = now > lastMs ? 0 : seq + 1
          lastMs = Math.max(lastMs, now)
          const event: AuditEvent = { id: `${lastMs}-${seq}`, at: now, source, target, action, before, after: next }
          ring.push(event)
          if (ring.length > capacity) ring.splice(0, ring.length - capacity)
          return { _tag: "written" as const, event }
        }),
      events: (query) => Stream.suspend(() => Stream.fromIterable(selectEvents([...ring], query)))
    }
    return fromBackend(backend)
  })

/**
 * A layer with a fresh in-memory store.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory = (options: MemoryLimitsStoreOptions = {}): Layer.Layer<LimitsStore, InvalidLimitsStoreOptions> =>
  Layer.effect(LimitsStore, makeMemory(options))
