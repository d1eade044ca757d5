/**
 * Reading the file store's entries: decode, check, and remove what is corrupt or expired; leave
 * (count and log) what can be neither read nor removed. Never fails.
 *
 * @since 0.1.0
 * @internal
 */
import type { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Either, Option } from "effect"
import { join } from "node:path"
import type { CacheEntry } from "./CacheStore.js"
import { CacheStoreError } from "./CacheStore.js"
import { decodeEntry } from "./fileFormat.js"

/** @internal */
export const isNotFound = (e: PlatformError): boolean => e._tag === "SystemError" && e.reason === "NotFound"

/** @internal */
export const failWith = (operation: string) => (cause: PlatformError) =>
  new CacheStoreError({ store: "file", operation, reason: cause.message, cause })

/** What the store counts about its files. @internal */
export interface FileCounters {
  hits: number
  misses: number
  expirations: number
  corrupt: number
  unreadable: number
}

/** @internal */
export type ReadResult =
  | { readonly _tag: "Found"; readonly entry: CacheEntry; readonly deleteAt: number }
  | { readonly _tag: "Missing" | "Corrupt" | "Expired" | "Unreadable" }

/** @internal */
export interface FileReader {
  /** Removes a file, treating "already gone" as done. */
  readonly removeFile: (path: string, operation: string) => Effect.Effect<void, CacheStoreError>
  /** Something the store can neither read nor remove: left alone, counted and logged. */
  readonly unreadableEntry: (name: string, e: CacheStoreError) => Effect.Effect<ReadResult>
  /** Reads and decodes `name`; removes it if corrupt (or not `expectedKey`'s) or expired at `now`. */
  readonly read: (name: string, expectedKey: string | undefined, now: number) => Effect.Effect<ReadResult>
}

/** @internal */
export const makeFileReader = (
  fs: FileSystem.FileSystem,
  dir: string,
  counters: FileCounters,
  onRemoved: (name: string) => void
): FileReader => {
  const removeFile = (path: string, operation: string) =>
    fs.remove(path).pipe(
      Effect.catchIf(isNotFound, () => Effect.void),
      Effect.mapError(failWith(operation))
    )
  const unreadableEntry = (name: string, e: CacheStoreError) => {
    counters.unreadable++
    return Effect.as(
      Effect.logWarning(`file cache: skipping unreadable entry ${name}: ${e.reason}`),
      { _tag: "Unreadable" } as const
    )
  }
  const drop = (name: string, tag: "Corrupt" | "Expired") =>
    Effect.as(
      Effect.zipRight(Effect.sync(() => onRemoved(name)), removeFile(join(dir, name), `remove ${tag.toLowerCase()} entry`)),
      { _tag: tag } as const
    )
  const read = (name: string, expectedKey: string | undefined, now: number): Effect.Effect<ReadResult> =>
    Effect.gen(function*() {
      const bytes = yield* fs.readFile(join(dir, name)).pipe(
        Effect.map(Option.some),
        Effect.catchIf(isNotFound, () => Effect.succeed(Option.none<Uint8Array>())),
        Effect.mapError(failWith("read"))
      )
      if (Option.isNone(bytes)) return { _tag: "Missing" } as const
      const decoded = decodeEntry(bytes.value)
      if (Either.isLeft(decoded) || (expectedKey !== undefined && decoded.right.key !== expectedKey)) {
        const r = yield* drop(name, "Corrupt")
        counters.corrupt++
        return r
      }
      if (now >= decoded.right.deleteAt) {
        const r = yield* drop(name, "Expired")
        counters.expirations++
        return r
      }
      return { _tag: "Found", entry: decoded.right.entry, deleteAt: decoded.right.deleteAt } as const
    }).pipe(Effect.catchAll((e) => unreadableEntry(name, e)))
  return { removeFile, unreadableEntry, read }
}
