/**
 * The file store's whole-directory operations: `clear`, the `cleanupExpired` sweep and `stats`.
 * Only file names the store creates are listed, counted or removed.
 *
 * @since 0.1.0
 * @internal
 */
import type { FileSystem } from "@effect/platform"
import { Clock, Effect } from "effect"
import { join } from "node:path"
import type { CacheStoreStats } from "./CacheStore.js"
import { hitRate } from "./CacheStore.js"
import { failWith, type FileCounters, type FileReader, isNotFound } from "./fileReader.js"

const ENTRY_NAME = /^[0-9a-f]{64}$/
const TEMP_NAME = /^\.tmp-[0-9a-f]{64}-(\d+)-[0-9a-f-]+$/

/** @internal */
export const makeSweeper = (
  fs: FileSystem.FileSystem,
  dir: string,
  reader: FileReader,
  counters: FileCounters,
  forgetAll: () => void,
  abandonedAfter: number
) => {
  const { removeFile, unreadableEntry } = reader
  const listOwn = fs.readDirectory(dir).pipe(
    Effect.catchIf(isNotFound, () => Effect.succeed<Array<string>>([])),
    Effect.mapError(failWith("list directory"))
  )

  const clear = Effect.flatMap(Effect.zipRight(Effect.sync(forgetAll), listOwn), (names) =>
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
        return Effect.map(reader.read(n, undefined, now), (r) => {
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
        Effect.mapError(failWith("stat"))
      ), { concurrency: 8 })
    const present = sizes.filter((s) => s >= 0)
    const result: CacheStoreStats = {
      ...counters,
      hitRate: hitRate(counters.hits, counters.misses),
      entries: present.length,
      bytes: present.reduce((a, b) => a + b, 0),
      evictions: 0
    }
    return result
  })

  return { clear, cleanupExpired, stats }
}
