/**
 * File-system {@link CacheStore} through `@effect/platform`'s `FileSystem` (provide
 * `NodeFileSystem.layer` from `@effect/platform-node`).
 *
 * - One file per entry under `directory`, named by its key when that is a SHA-256 hex digest already
 *   (the response cache's keys are), else by the SHA-256 (hex) of the key.
 * - Writes go to a uniquely named temp file in the same directory, then `rename` over the entry:
 *   a reader sees the old whole entry or the new whole entry, and concurrent writers of one key
 *   leave exactly one of their entries (the last rename wins).
 * - Retention is checked on read; `cleanupExpired` sweeps expired and corrupt entries and temp
 *   files abandoned by interrupted writers.
 * - A truncated, corrupt or foreign file (see `fileFormat.ts`) is a miss and is removed.
 * - Hits of recently read entries cost one `stat`: the decoded entry is kept in memory (`memoBytes`)
 *   and reused while the file under its name is the one it was read from (see `fileMemo.ts`), so
 *   entries written, replaced or removed by other processes are seen at once.
 * - Something under an entry's name that cannot be read or removed (permissions, a directory) is
 *   a miss for `get` and skipped by a sweep, left in place, counted in `stats.unreadable` and logged.
 * - Only file names this store creates are ever listed, counted or removed: pointing the store at
 *   a directory holding other files does not delete them.
 *
 * @since 0.1.0
 */
import { FileSystem } from "@effect/platform"
import { Clock, Duration, Effect, Option, Schema } from "effect"
import { randomUUID } from "node:crypto"
import { join } from "node:path"
import { MAX_CACHE_BYTES } from "../internal/bounds.js"
import { AnyDuration, decodeOptions, intBetween, NonEmptyTrimmedString } from "../internal/schema.js"
import { sha256Hex } from "../internal/sha256.js"
import type { CacheEntry, CacheStore } from "./CacheStore.js"
import { CacheStoreError, InvalidCacheOptions } from "./CacheStore.js"
import { encodeEntry } from "./fileFormat.js"
import { identityOf, makeFileMemo } from "./fileMemo.js"
import { failWith, type FileCounters, isNotFound, makeFileReader } from "./fileReader.js"
import { makeSweeper } from "./fileSweep.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface FileStoreOptions {
  /** The cache directory; created (recursively) if missing. */
  readonly directory: string
  /** Temp files older than this are swept by `cleanupExpired`; default 10 minutes. */
  readonly abandonedTempAfter?: Duration.DurationInput | undefined
  /** Bytes of decoded entries kept in memory for fast hits (see above), 0 (none) to 2^40; default 8 MiB. */
  readonly memoBytes?: number | undefined
}

/**
 * The schema `makeFileStore` decodes its options with; the config's cache section shares `directory`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FileStoreOptionsSchema = Schema.Struct({
  directory: NonEmptyTrimmedString,
  abandonedTempAfter: Schema.optional(AnyDuration),
  memoBytes: Schema.optional(intBetween(0, MAX_CACHE_BYTES))
})

const decode = decodeOptions(FileStoreOptionsSchema, (field, reason) => new InvalidCacheOptions({ field, reason }))

const SHA256_HEX = /^[0-9a-f]{64}$/

/**
 * File name of a key: a safe, fixed-length SHA-256 hex name. The response cache's keys are such
 * digests already and are not hashed twice; another key is hashed (reaching an existing digest that
 * way would take a SHA-256 preimage, and the file records its key besides).
 */
const fileNameOf = (key: string): string => (SHA256_HEX.test(key) ? key : sha256Hex(key))

/**
 * Writes `bytes` as `dir/name` atomically: to a temp file (its name the sweeper knows, with its
 * time) renamed over the name, never left behind on failure or interruption. A directory removed
 * under us (e.g. `rm -rf cache/`) is recreated once.
 */
const atomicWrite = (
  fs: FileSystem.FileSystem,
  dir: string,
  ensureDir: Effect.Effect<void, CacheStoreError>
) =>
(name: string, bytes: Uint8Array, now: number): Effect.Effect<void, CacheStoreError> => {
  const tempPath = join(dir, `.tmp-${name}-${Math.max(0, Math.floor(now))}-${randomUUID()}`)
  const writeTemp = fs.writeFile(tempPath, bytes, { flag: "wx" }).pipe(
    Effect.catchIf(isNotFound, () => Effect.zipRight(ensureDir, fs.writeFile(tempPath, bytes, { flag: "wx" }).pipe(
      Effect.mapError(failWith("write"))
    ))),
    Effect.mapError((e) => (e instanceof CacheStoreError ? e : failWith("write")(e)))
  )
  return Effect.uninterruptibleMask((restore) =>
    restore(Effect.zipRight(writeTemp, fs.rename(tempPath, join(dir, name)).pipe(Effect.mapError(failWith("rename"))))).pipe(
      Effect.onExit((exit) => exit._tag === "Success" ? Effect.void : Effect.ignore(fs.remove(tempPath)))
    )
  )
}

/**
 * Creates a file store rooted at `options.directory`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeFileStore = (
  options: FileStoreOptions
): Effect.Effect<CacheStore, InvalidCacheOptions | CacheStoreError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const decoded = yield* decode(options)
    const memoBytes = decoded.memoBytes ?? 8 * 1024 * 1024
    const abandonedAfter = Duration.toMillis(decoded.abandonedTempAfter ?? Duration.minutes(10))
    const fs = yield* FileSystem.FileSystem
    const dir = decoded.directory
    const ensureDir = fs.makeDirectory(dir, { recursive: true }).pipe(Effect.mapError(failWith("create directory")))
    yield* ensureDir

    const counters: FileCounters = { hits: 0, misses: 0, expirations: 0, corrupt: 0, unreadable: 0 }
    const memo = makeFileMemo(memoBytes, 4096)
    const reader = makeFileReader(fs, dir, counters, memo.delete)
    const { removeFile } = reader

    /** Which file is under `name` now (`undefined`: none, or not a plain file). */
    const identityNow = (name: string) =>
      fs.stat(join(dir, name)).pipe(
        Effect.map((info) => (info.type === "File" ? identityOf(info) : undefined)),
        Effect.orElseSucceed(() => undefined)
      )

    const get = (key: string) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const name = fileNameOf(key)
        // The identity is taken before the bytes are read: it can only be older than them, never
        // newer, so a file replaced in between is re-read next time instead of memoised wrongly.
        const identity = memoBytes > 0 ? yield* identityNow(name) : undefined
        const hot = identity === undefined ? undefined : memo.get(name, identity, now)
        if (hot !== undefined) {
          counters.hits++
          return Option.some(hot)
        }
        const result = yield* reader.read(name, key, now)
        if (result._tag === "Found") {
          if (identity !== undefined) memo.set(name, identity, result.entry, result.deleteAt)
          counters.hits++
          return Option.some(result.entry)
        }
        memo.delete(name)
        counters.misses++
        return Option.none<CacheEntry>()
      })

    const write = atomicWrite(fs, dir, ensureDir)

    const set = (key: string, entry: CacheEntry, ttl: Duration.Duration) =>
      Effect.gen(function*() {
        const name = fileNameOf(key)
        memo.delete(name)
        const ttlMs = Duration.toMillis(ttl)
        if (!(ttlMs > 0)) {
          yield* removeFile(join(dir, name), "delete")
          return
        }
        const now = yield* Clock.currentTimeMillis
        yield* write(name, encodeEntry(key, now + ttlMs, entry), now)
      })

    const del = (key: string) =>
      Effect.suspend(() => {
        const name = fileNameOf(key)
        memo.delete(name)
        return fs.remove(join(dir, name)).pipe(
          Effect.as(true),
          Effect.catchIf(isNotFound, () => Effect.succeed(false)),
          Effect.mapError(failWith("delete"))
        )
      })

    const { cleanupExpired, clear, stats } = makeSweeper(fs, dir, reader, counters, memo.clear, abandonedAfter)

    const store: CacheStore = { name: "file", get, set, delete: del, clear, cleanupExpired, stats }
    return store
  })
