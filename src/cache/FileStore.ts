/**
 * File-system {@link CacheStore} through `@effect/platform`'s `FileSystem` (provide
 * `NodeFileSystem.layer` from `@effect/platform-node`).
 *
 * - One file per entry under `directory`, named by the SHA-256 (hex) of the key.
 * - Writes go to a uniquely named temp file in the same directory, then `rename` over the entry:
 *   a reader sees the old whole entry or the new whole entry, and concurrent writers of one key
 *   leave exactly one of their entries (the last rename wins).
 * - Retention is checked on read; `cleanupExpired` sweeps expired and corrupt entries and temp
 *   files abandoned by interrupted writers.
 * - A truncated, corrupt or foreign file (see `fileFormat.ts`) is a miss and is removed.
 * - Something under an entry's name that cannot be read or removed (permissions, a directory) is
 *   a miss for `get` and skipped by a sweep, left in place, counted in `stats.unreadable` and logged.
 * - Only file names this store creates are ever listed, counted or removed: pointing the store at
 *   a directory holding other files does not delete them.
 *
 * @since 0.1.0
 */
import { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Clock, Duration, Effect, Either, Option } from "effect"
import { createHash, randomUUID } from "node:crypto"
import { join } from "node:path"
import type { CacheEntry, CacheStore, CacheStoreStats } from "./CacheStore.js"
import { CacheStoreError, hitRate, InvalidCacheOptions } from "./CacheStore.js"
import { decodeEntry, encodeEntry } from "./fileFormat.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface FileStoreOptions {
  /** The cache directory; created (recursively) if missing. */
  readonly directory: string
  /** Temp files older than this are swept by `cleanupExpired`; default 10 minutes. */
  readonly abandonedTempAfter?: Duration.DurationInput | undefined
}

const ENTRY_NAME = /^[0-9a-f]{64}$/
const TEMP_NAME = /^\.tmp-[0-9a-f]{64}-(\d+)-[0-9a-f-]+$/

/** File name of a key: SHA-256 hex, so any key maps to a safe, fixed-length name. */
const fileNameOf = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex")

const isNotFound = (e: PlatformError): boolean => e._tag === "SystemError" && e.reason === "NotFound"

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
    if (typeof options.directory !== "string" || options.directory.trim().length === 0) {
      return yield* new InvalidCacheOptions({ option: "directory", reason: "expected a non-empty path" })
    }
    const abandonedAfter = Duration.toMillis(Duration.decode(options.abandonedTempAfter ?? Duration.minutes(10)))
    const fs = yield* FileSystem.FileSystem
    const dir = options.directory
    const fail = (operation: string) => (cause: PlatformError) =>
      new CacheStoreError({ store: "file", operation, reason: cause.message, cause })

    const ensureDir = fs.makeDirectory(dir, { recursive: true }).pipe(Effect.mapError(fail("create directory")))
    yield* ensureDir

    let hits = 0
    let misses = 0
    let expirations = 0
    let corrupt = 0
    let unreadable = 0

    /** Removes a file, treating "already gone" as done. */
    const removeFile = (path: string, operation: string) =>
      fs.remove(path).pipe(
        Effect.catchIf(isNotFound, () => Effect.void),
        Effect.mapError(fail(operation))
      )

    /**
     * Something under an entry's (or temp file's) name that the store can neither read nor remove
     * (permissions, a directory in its place): left alone, counted and logged, so one bad file does
     * not turn lookups into errors or stop a sweep.
     */
    const unreadableEntry = (name: string, e: CacheStoreError) => {
      unreadable++
      return Effect.as(
        Effect.logWarning(`file cache: skipping unreadable entry ${name}: ${e.reason}`),
        { _tag: "Unreadable" as const }
      )
    }

    /** Removes a corrupt or expired entry, reporting `tag` (or `Unreadable` if it cannot be removed). */
    const drop = <T extends "Corrupt" | "Expired">(name: string, tag: T) =>
      Effect.as(removeFile(join(dir, name), `remove ${tag.toLowerCase()} entry`), { _tag: tag })

    /** Reads and decodes a file: `None` if missing; removes and reports it if corrupt/expired. Never fails. */
    const readEntry = (name: string, expectedKey: string | undefined, now: number) =>
      Effect.gen(function*() {
        const bytes = yield* fs.readFile(join(dir, name)).pipe(
          Effect.map(Option.some),
          Effect.catchIf(isNotFound, () => Effect.succeed(Option.none<Uint8Array>())),
          Effect.mapError(fail("read"))
        )
        if (Option.isNone(bytes)) return { _tag: "Missing" as const }
        const decoded = decodeEntry(bytes.value)
        if (Either.isLeft(decoded) || (expectedKey !== undefined && decoded.right.key !== expectedKey)) {
          const r = yield* drop(name, "Corrupt")
          corrupt++
          return r
        }
        if (now >= decoded.right.deleteAt) {
          const r = yield* drop(name, "Expired")
          expirations++
          return r
        }
        return { _tag: "Found" as const, entry: decoded.right.entry }
      }).pipe(Effect.catchAll((e) => unreadableEntry(name, e)))

    const get = (key: string) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const result = yield* readEntry(fileNameOf(key), key, now)
        if (result._tag === "Found") {
          hits++
          return Option.some(result.entry)
        }
        misses++
        return Option.none<CacheEntry>()
      })

    const writeTemp = (tempPath: string, bytes: Uint8Array) =>
      fs.writeFile(tempPath, bytes, { flag: "wx" }).pipe(
        // The directory may have been removed under us (e.g. `rm -rf cache/`): recreate once.
        Effect.catchIf(isNotFound, () => Effect.zipRight(ensureDir, fs.writeFile(tempPath, bytes, { flag: "wx" }).pipe(
          Effect.mapError(fail("write"))
        ))),
        Effect.mapError((e) => (e instanceof CacheStoreError ? e : fail("write")(e)))
      )

    const set = (key: string, entry: CacheEntry, ttl: Duration.Duration) =>
      Effect.gen(function*() {
        const name = fileNameOf(key)
        const ttlMs = Duration.toMillis(ttl)
        if (!(ttlMs > 0)) {
          yield* removeFile(join(dir, name), "delete")
          return
        }
        const now = yield* Clock.currentTimeMillis
        const bytes = encodeEntry(key, now + ttlMs, entry)
        const tempPath = join(dir, `.tmp-${name}-${Math.max(0, Math.floor(now))}-${randomUUID()}`)
        yield* Effect.uninterruptibleMask((restore) =>
          restore(
            Effect.zipRight(
              writeTemp(tempPath, bytes),
              fs.rename(tempPath, join(dir, name)).pipe(Effect.mapError(fail("rename")))
            )
          ).pipe(
            // Never leave a temp file behind on failure or interruption.
            Effect.onExit((exit) => exit._tag === "Success" ? Effect.void : Effect.ignore(fs.remove(tempPath)))
          )
        )
      })

    const del = (key: string) =>
      fs.remove(join(dir, fileNameOf(key))).pipe(
        Effect.as(true),
        Effect.catchIf(isNotFound, () => Effect.succeed(false)),
        Effect.mapError(fail("delete"))
      )

    const listOwn = fs.readDirectory(dir).pipe(
      Effect.catchIf(isNotFound, () => Effect.succeed<Array<string>>([])),
      Effect.mapError(fail("list directory"))
    )

    const clear = Effect.flatMap(listOwn, (names) =>
      Effect.forEach(
        names.filter((n) => ENTRY_NAME.test(n) || TEMP_NAME.test(n)),
        (n) => removeFile(join(dir, n), "clear"),
        { concurrency: 8, discard: true }
      ))

    /** Sweeps expired and corrupt entries and abandoned temp files; unreadable ones are skipped. */
    const cleanupExpired = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const names = yield* listOwn
      let removed = 0
      yield* Effect.forEach(names, (n) => {
        if (ENTRY_NAME.test(n)) {
          return Effect.map(readEntry(n, undefined, now), (r) => {
            if (r._tag === "Expired" || r._tag === "Corrupt") removed++
          })
        }
        const temp = TEMP_NAME.exec(n)
        if (temp === null || now - Number(temp[1]) < abandonedAfter) return Effect.void
        return removeFile(join(dir, n), "sweep temp file").pipe(Effect.catchAll((e) => unreadableEntry(n, e)))
      }, { concurrency: 8, discard: true })
      return removed
    })

    const stats = Effect.gen(function*() {
      const names = (yield* listOwn).filter((n) => ENTRY_NAME.test(n))
      // Only regular files are entries (a directory under an entry's name is not).
      const sizes = yield* Effect.forEach(names, (n) =>
        fs.stat(join(dir, n)).pipe(
          Effect.map((info) => info.type === "File" ? Number(info.size) : -1),
          Effect.catchIf(isNotFound, () => Effect.succeed(-1)),
          Effect.mapError(fail("stat"))
        ), { concurrency: 8 })
      const present = sizes.filter((s) => s >= 0)
      const result: CacheStoreStats = {
        hits,
        misses,
        hitRate: hitRate(hits, misses),
        entries: present.length,
        bytes: present.reduce((a, b) => a + b, 0),
        evictions: 0,
        expirations,
        corrupt,
        unreadable
      }
      return result
    })

    const store: CacheStore = { name: "file", get, set, delete: del, clear, cleanupExpired, stats }
    return store
  })
