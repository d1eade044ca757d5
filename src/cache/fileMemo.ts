/**
 * The file store's memo of decoded entries: a hit costs one `stat` instead of open, read, close,
 * checksum and decode. An entry is reused only while the file under its name is the very file it
 * was read from (same inode, size, modification and birth time): writers replace an entry by
 * renaming a new file over it (a new inode), and an edit in place changes its modification time.
 * Bounded by bytes and entries, least recently used first out.
 *
 * @since 0.1.0
 * @internal
 */
import type { FileSystem } from "@effect/platform"
import { Option } from "effect"
import type { CacheEntry } from "./CacheStore.js"
import { entrySize } from "./CacheStore.js"
import { BoundedLru, type SizedNode } from "./boundedLru.js"

/** Which file an entry was read from. @internal */
export interface FileIdentity {
  readonly ino: number | undefined
  readonly size: bigint
  readonly mtime: number | undefined
  readonly birthtime: number | undefined
}

/** @internal */
export const identityOf = (info: FileSystem.File.Info): FileIdentity => ({
  ino: Option.getOrUndefined(info.ino),
  size: BigInt(info.size),
  mtime: Option.getOrUndefined(Option.map(info.mtime, (d) => d.getTime())),
  birthtime: Option.getOrUndefined(Option.map(info.birthtime, (d) => d.getTime()))
})

const same = (a: FileIdentity, b: FileIdentity): boolean =>
  a.ino !== undefined && a.ino === b.ino && a.size === b.size && a.mtime !== undefined && a.mtime === b.mtime &&
  a.birthtime === b.birthtime

class Slot implements SizedNode<Slot> {
  prev: Slot | null = null
  next: Slot | null = null
  constructor(
    readonly key: string,
    readonly identity: FileIdentity,
    readonly entry: CacheEntry,
    readonly deleteAt: number,
    readonly size: number
  ) {}
}

/** @internal */
export interface FileMemo {
  /** The memoised entry of `name` if `identity` is still its file and its retention has not passed. */
  readonly get: (name: string, identity: FileIdentity, now: number) => CacheEntry | undefined
  readonly set: (name: string, identity: FileIdentity, entry: CacheEntry, deleteAt: number) => void
  readonly delete: (name: string) => void
  readonly clear: () => void
}

/** @internal */
export const makeFileMemo = (maxBytes: number, maxEntries: number): FileMemo => {
  const slots = new BoundedLru<Slot>(maxEntries, maxBytes)
  return {
    get: (name, identity, now) => {
      const slot = slots.use(name)
      if (slot === undefined) return undefined
      if (!same(slot.identity, identity) || now >= slot.deleteAt) {
        slots.remove(slot)
        return undefined
      }
      return slot.entry
    },
    set: (name, identity, entry, deleteAt) => {
      // Without inode and mtime a file cannot be recognised again: not kept.
      if (identity.ino === undefined || identity.mtime === undefined) slots.delete(name)
      else slots.set(new Slot(name, identity, entry, deleteAt, entrySize(name, entry)))
    },
    delete: (name) => void slots.delete(name),
    clear: () => slots.clear()
  }
}
