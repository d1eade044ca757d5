/**
 * The Redis limits store: every stored value is a field of one hash, every change is appended to a
 * capped stream (`XADD … MAXLEN`), both by one Lua script, so a write is atomic (compare, write,
 * audit) and every process sees it on its next read. Both keys share one hash tag
 * (`{<prefix>:limits}`), so on a cluster they live in one slot; limits are small, rarely written
 * data and each process caches what it resolves (`LimitsResolver`).
 *
 * @since 0.1.0
 */
import { Chunk, Effect, Layer, Option, Stream } from "effect"
import { type AuditEvent, decodeStoreOptions } from "../limits/audit.js"
import { type InvalidLimitsStoreOptions, LimitsStoreError } from "../limits/errors.js"
import { fromBackend, type LimitsBackend, LimitsStore, type LimitsStoreShape, type WriteResult } from "../limits/LimitsStore.js"
import { parseKey, type Target } from "../limits/model.js"
import { kindOf } from "./errors.js"
import { Redis, type RedisError } from "./Redis.js"
import { script } from "./script.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface RedisLimitsStoreOptions {
  /** Audit events kept in the stream (exact `MAXLEN`); default 1000. */
  readonly auditCapacity?: number | undefined
}

// A stored text is JSON, never empty: "" stands for "nothing stored" in arguments and in events.
const WRITE = script(
  "limits-write",
  `local before = redis.call('HGET', KEYS[1], ARGV[1])
if not before then before = '' end
if ARGV[5] == '1' and before ~= ARGV[6] then return {'conflict'} end
if before == ARGV[2] then return {'unchanged'} end
if ARGV[2] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[4], '*', 'key', ARGV[1], 'source', ARGV[3], 'before', before, 'after', ARGV[2])
return {'written', id, before}`
)

const PAGE = 500

const storeError = (operation: string) => (error: RedisError) =>
  new LimitsStoreError({ operation, reason: kindOf(error) === "misconfigured" ? "misconfigured" : "unavailable", detail: error.message })

const orUndefined = (text: string | undefined | null): string | undefined => (text === "" || text == null ? undefined : text)

/** One stream entry as an event; `undefined` for an entry this store did not write. */
const eventOf = (id: string, fields: ReadonlyArray<string>): AuditEvent | undefined => {
  const get = (name: string) => {
    const i = fields.indexOf(name)
    return i % 2 === 0 ? fields[i + 1] : undefined
  }
  const target = parseKey(get("key") ?? "")
  const before = orUndefined(get("before"))
  const after = orUndefined(get("after"))
  if (target === undefined) return undefined
  return {
    id,
    at: Number(id.split("-")[0]),
    source: get("source") ?? "",
    target,
    action: before === undefined ? "create" : after === undefined ? "delete" : "update",
    before,
    after
  }
}

const sameTarget = (a: Target, b: Target) => a.kind === b.kind && (a.kind === "system" || (b.kind !== "system" && a.name === b.name))

/** The stream id right after `id` (XRANGE's exclusive `(id` needs Redis 6.2; we support 6.0). */
const nextId = (id: string): string => {
  const [ms, seq] = id.split("-")
  return `${ms}-${BigInt(seq ?? "0") + 1n}`
}

/**
 * The store on the `Redis` connection. Fails with a `Limits.InvalidLimitsStoreOptions` naming a bad option.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeLimitsStore = (
  options: RedisLimitsStoreOptions = {}
): Effect.Effect<LimitsStoreShape, InvalidLimitsStoreOptions, Redis> =>
  Effect.flatMap(decodeStoreOptions(options), ({ auditCapacity: capacity }) => Effect.map(Redis, (redis) => {
    const data = redis.key("limits", "limits-data")
    const audit = redis.key("limits", "limits-audit")
    const page = (start: string) =>
      redis.command("XRANGE limits audit", (c) => c.xrange(audit, start, "+", "COUNT", PAGE)).pipe(
        Effect.mapError(storeError("audit")),
        Effect.map((entries) => {
          const events = entries.flatMap(([id, fields]) => eventOf(id, fields) ?? [])
          const last = entries[entries.length - 1]
          return [Chunk.fromIterable(events), entries.length === PAGE && last !== undefined ? Option.some(nextId(last[0])) : Option.none()] as const
        })
      )
    const backend: LimitsBackend = {
      read: (keys) =>
        keys.length === 0
          ? Effect.succeed([])
          : redis.command("HMGET limits", (c) => c.hmget(data, ...keys)).pipe(
            Effect.map((texts) => texts.map(orUndefined)),
            Effect.mapError(storeError("read"))
          ),
      readAll: redis.command("HGETALL limits", (c) => c.hgetall(data)).pipe(
        Effect.map((all) => new Map(Object.entries(all))),
        Effect.mapError(storeError("read"))
      ),
      write: (key, next, source, expected) =>
        redis.evalScript(WRITE, [data, audit], [key, next ?? "", source, capacity, expected === undefined ? "0" : "1", expected?.text ?? ""]).pipe(
          Effect.mapError(storeError("write")),
          Effect.map((reply): WriteResult => {
            const [tag, id, before] = reply as [string, string | undefined, string | undefined]
            if (tag === "conflict" || tag === "unchanged") return { _tag: tag }
            const event = eventOf(id!, ["key", key, "source", source, "before", before ?? "", "after", next ?? ""])!
            return { _tag: "written", event }
          })
        ),
      events: (query) => {
        const { limit, target } = query
        const all = Stream.paginateChunkEffect("-", page).pipe(
          Stream.filter((e) => target === undefined || sameTarget(e.target, target))
        )
        return limit === undefined ? all : Stream.takeRight(all, limit)
      }
    }
    return fromBackend(backend)
  }))

/**
 * A layer of the Redis limits store (needs the `Redis` connection).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerLimitsStore = (options: RedisLimitsStoreOptions = {}): Layer.Layer<LimitsStore, InvalidLimitsStoreOptions, Redis> =>
  Layer.effect(LimitsStore, makeLimitsStore(options))
