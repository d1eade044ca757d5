/**
 * A Redis `CacheStore` for the response cache. Each entry is one Redis string under
 * `{prefix:<cache key>}:cache`, written with `SET … PX ttl` (retention counted on the Redis clock;
 * Redis drops the entry itself when it passes, so `cleanupExpired` has nothing to do). The value is a
 * small binary frame: 4 bytes of metadata length, the metadata as JSON (status, headers, times,
 * validators, vary), then the body bytes untouched.
 *
 * `clear` and `stats` scan the namespace (SCAN, never KEYS) on every master (each node of a Redis
 * Cluster holds its own slots): fine for a cache of thousands of entries, slow for millions. `clear`
 * deletes key by key (pipelined): one multi-key delete would fail with CROSSSLOT on a cluster.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Option, Schema } from "effect"
import { type CacheEntry, type CacheStore, CacheStoreError, hitRate, InvalidCacheOptions } from "../cache/CacheStore.js"
import { decodeOptions } from "../internal/schema.js"
import type { Redis as IORedis } from "ioredis"
import { Redis, type RedisError } from "./Redis.js"

const STORE = "redis"

/**
 * Encode an entry as one binary frame. Pure.
 *
 * @since 0.1.0
 * @internal
 */
export const encodeEntry = (entry: CacheEntry): Buffer => {
  const meta = Buffer.from(
    JSON.stringify({
      status: entry.status,
      headers: entry.headers,
      storedAt: entry.storedAt,
      expiresAt: entry.expiresAt,
      etag: entry.etag,
      lastModified: entry.lastModified,
      vary: entry.vary
    }),
    "utf8"
  )
  const head = Buffer.alloc(4)
  head.writeUInt32BE(meta.length, 0)
  return Buffer.concat([head, meta, entry.body])
}

/**
 * Decode a frame written by {@link encodeEntry}; `undefined` when it is not one. Pure.
 *
 * @since 0.1.0
 * @internal
 */
export const decodeEntry = (frame: Buffer): CacheEntry | undefined => {
  if (frame.length < 4) return undefined
  const length = frame.readUInt32BE(0)
  if (4 + length > frame.length) return undefined
  try {
    const meta = JSON.parse(frame.subarray(4, 4 + length).toString("utf8")) as Record<string, unknown>
    if (
      typeof meta["status"] !== "number" || typeof meta["storedAt"] !== "number" || typeof meta["expiresAt"] !== "number" ||
      typeof meta["headers"] !== "object" || meta["headers"] === null
    ) return undefined
    return {
      status: meta["status"],
      headers: meta["headers"] as Record<string, string>,
      body: new Uint8Array(frame.subarray(4 + length)),
      storedAt: meta["storedAt"],
      expiresAt: meta["expiresAt"],
      ...(typeof meta["etag"] === "string" ? { etag: meta["etag"] } : {}),
      ...(typeof meta["lastModified"] === "string" ? { lastModified: meta["lastModified"] } : {}),
      ...(typeof meta["vary"] === "object" && meta["vary"] !== null ? { vary: meta["vary"] as Record<string, string | null> } : {})
    }
  } catch {
    return undefined
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RedisCacheStoreOptions {
  /** Extra namespace inside the Redis prefix (e.g. one per API). Default `"cache"`. */
  readonly namespace?: string | undefined
}

// A namespace is a segment of every key: with a ":" one namespace ("a:b") would sit inside another's
// ("a"), whose clear and size would reach it.
const Namespace = Schema.String.pipe(
  Schema.filter((s) => /^[^\s:]+$/.test(s), {
    message: (issue) => `Expected a non-empty name without ":" or spaces (it is part of every key), got ${JSON.stringify(issue.actual)}`
  })
)

const decode = decodeOptions(
  Schema.Struct({ namespace: Schema.optionalWith(Namespace, { default: () => "cache" }) }),
  (field, reason) => new InvalidCacheOptions({ field, reason })
)

/** Every batch of keys matching `pattern`, on the master that holds them. */
const scanKeys = <A>(
  redis: Redis["Type"],
  pattern: string,
  onBatch: (node: IORedis, keys: ReadonlyArray<string>) => Promise<A>
): Effect.Effect<Array<A>, RedisError> =>
  redis.command("scan", async () => {
    const out: Array<A> = []
    for (const node of redis.masters()) {
      let cursor = "0"
      do {
        const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000)
        cursor = next
        if (keys.length > 0) out.push(await onBatch(node, keys))
      } while (cursor !== "0")
    }
    return out
  })

/** One command per key, pipelined on `node`; fails with the first command that failed. */
const perKey = async (node: IORedis, keys: ReadonlyArray<string>, add: (p: ReturnType<IORedis["pipeline"]>, key: string) => void) => {
  const pipeline = node.pipeline()
  for (const k of keys) add(pipeline, k)
  const results = (await pipeline.exec()) ?? []
  const failure = results.find(([error]) => error !== null)
  if (failure !== undefined) throw failure[0]
  return results.map(([, value]) => value)
}

/** The entries and bytes of a batch of keys (a key expired meanwhile counts for nothing). */
const sizeOf = async (node: IORedis, keys: ReadonlyArray<string>) => {
  const lengths = await perKey(node, keys, (p, k) => p.strlen(k))
  let bytes = 0
  let entries = 0
  for (const n of lengths) {
    if (typeof n === "number" && n > 0) {
      entries++
      bytes += n
    }
  }
  return { entries, bytes }
}

/**
 * Build the store on the {@link Redis} connection in context. Fails with an `InvalidCacheOptions` naming
 * a bad option.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeCacheStore = (options: RedisCacheStoreOptions = {}): Effect.Effect<CacheStore, InvalidCacheOptions, Redis> =>
  Effect.gen(function*() {
    const { namespace } = yield* decode(options)
    const redis = yield* Redis
    const keyOf = (key: string) => redis.key(`${namespace}:${key}`, "cache")
    const pattern = `${redis.key(`${namespace}:`).slice(0, -1).replace(/[*?[\]\\]/g, "\\$&")}*}:cache`
    const counters = { hits: 0, misses: 0, corrupt: 0 }
    const fail = (operation: string) => (error: RedisError) =>
      new CacheStoreError({ store: STORE, operation, reason: error.message, cause: error })

    const scan = <A>(onBatch: (node: IORedis, keys: ReadonlyArray<string>) => Promise<A>) => scanKeys(redis, pattern, onBatch)

    const store: CacheStore = {
      name: STORE,
      get: (key) =>
        redis.command("cache get", (c) => c.getBuffer(keyOf(key))).pipe(
          Effect.flatMap((frame) => {
            if (frame === null) {
              counters.misses++
              return Effect.succeed(Option.none())
            }
            const entry = decodeEntry(frame)
            if (entry === undefined) {
              counters.misses++
              counters.corrupt++
              return redis.command("cache delete", (c) => c.unlink(keyOf(key))).pipe(Effect.ignore, Effect.as(Option.none()))
            }
            counters.hits++
            return Effect.succeed(Option.some(entry))
          }),
          Effect.mapError(fail("get"))
        ),
      set: (key, entry, ttl) => {
        const ms = Math.ceil(Duration.toMillis(ttl))
        if (!(ms > 0)) return Effect.void
        if (!Number.isFinite(ms)) {
          return Effect.fail(new CacheStoreError({ store: STORE, operation: "set", reason: "retention must be finite for Redis" }))
        }
        return redis.command("cache set", (c) => c.set(keyOf(key), encodeEntry(entry), "PX", ms)).pipe(
          Effect.asVoid,
          Effect.mapError(fail("set"))
        )
      },
      delete: (key) =>
        redis.command("cache delete", (c) => c.unlink(keyOf(key))).pipe(
          Effect.map((n) => n > 0),
          Effect.mapError(fail("delete"))
        ),
      clear: scan((node, keys) => perKey(node, keys, (p, k) => p.unlink(k))).pipe(Effect.asVoid, Effect.mapError(fail("clear"))),
      cleanupExpired: Effect.succeed(0),
      stats: scan(sizeOf).pipe(
        Effect.map((batches) => ({
          hits: counters.hits,
          misses: counters.misses,
          hitRate: hitRate(counters.hits, counters.misses),
          entries: batches.reduce((s, b) => s + b.entries, 0),
          bytes: batches.reduce((s, b) => s + b.bytes, 0),
          evictions: 0,
          expirations: 0,
          corrupt: counters.corrupt,
          unreadable: 0
        })),
        Effect.mapError(fail("stats"))
      )
    }
    return store
  })
