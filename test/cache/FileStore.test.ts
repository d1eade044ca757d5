import { NodeFileSystem } from "@effect/platform-node"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Option, TestClock } from "effect"
import fc from "fast-check"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { CacheEntry } from "../../src/cache/CacheStore.js"
import { makeFileStore } from "../../src/cache/FileStore.js"
import { decodeEntry, encodeEntry } from "../../src/cache/fileFormat.js"

let root: string
let n = 0
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "egc-file-store-"))
})
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true })
})
const freshDir = () => path.join(root, `case-${n++}`)
const fileOf = (dir: string, key: string) => path.join(dir, createHash("sha256").update(key).digest("hex"))

const entry = (text: string, extra: Partial<CacheEntry> = {}): CacheEntry => ({
  status: 200,
  headers: { "content-type": "text/plain", etag: "\"1\"" },
  body: new TextEncoder().encode(text),
  storedAt: 0,
  expiresAt: 5_000,
  etag: "\"1\"",
  ...extra
})
const text = (o: Option.Option<CacheEntry>) => Option.map(o, (e) => new TextDecoder().decode(e.body))

const withStore = <A, E>(f: (dir: string, store: Effect.Effect.Success<ReturnType<typeof makeFileStore>>) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const dir = freshDir()
    const store = yield* makeFileStore({ directory: dir })
    return yield* f(dir, store)
  }).pipe(Effect.provide(NodeFileSystem.layer))

describe("file store", () => {
  it.effect("round-trips an entry and keeps it for its TTL on the Clock", () =>
    withStore((dir, store) =>
      Effect.gen(function*() {
        const e = entry("hello", { vary: { accept: "application/json", "x-absent": null }, lastModified: "Wed, 01 Jan 2025 00:00:00 GMT" })
        yield* store.set("k", e, Duration.seconds(30))
        const got = yield* store.get("k")
        expect(Option.getOrThrow(got)).toEqual({ ...e, body: e.body })
        expect(fs.readdirSync(dir)).toEqual([path.basename(fileOf(dir, "k"))])
        yield* TestClock.adjust(Duration.seconds(30))
        expect(Option.isNone(yield* store.get("k"))).toBe(true)
        expect(fs.existsSync(fileOf(dir, "k"))).toBe(false)
        expect(yield* store.stats).toMatchObject({ hits: 1, misses: 1, expirations: 1, entries: 0 })
      })
    ))

  it.effect("names the file of a SHA-256 hex key (the response cache's) by the key itself, any other by its SHA-256", () =>
    withStore((dir, store) =>
      Effect.gen(function*() {
        const hashed = createHash("sha256").update("GET https://api.example.com/a").digest("hex")
        const upper = hashed.toUpperCase()
        yield* store.set(hashed, entry("hashed"), Duration.seconds(30))
        yield* store.set(upper, entry("upper"), Duration.seconds(30))
        yield* store.set("plain", entry("plain"), Duration.seconds(30))
        expect(fs.readdirSync(dir).sort()).toEqual([hashed, path.basename(fileOf(dir, upper)), path.basename(fileOf(dir, "plain"))].sort())
        expect([text(yield* store.get(hashed)), text(yield* store.get(upper)), text(yield* store.get("plain"))].map(Option.getOrThrow))
          .toEqual(["hashed", "upper", "plain"])
        expect(yield* store.delete(hashed)).toBe(true)
        expect(fs.existsSync(path.join(dir, hashed))).toBe(false)
      })
    ))

  it.effect("concurrent writers of one key leave exactly one whole entry", () =>
    withStore((dir, store) =>
      Effect.gen(function*() {
        const bodies = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(2, "0")}:` + String(i % 10).repeat(64 * 1024))
        const reads = yield* Effect.all(
          [
            Effect.forEach(bodies, (b) => store.set("same", entry(b), Duration.minutes(5)), { concurrency: "unbounded" }),
            Effect.forEach(bodies, () => store.get("same"), { concurrency: "unbounded" })
          ],
          { concurrency: "unbounded" }
        )
        // Every concurrent read saw nothing or one writer's whole body, never a mix.
        for (const r of reads[1]) if (Option.isSome(r)) expect(bodies).toContain(Option.getOrThrow(text(r)))
        const final = Option.getOrThrow(text(yield* store.get("same")))
        expect(bodies).toContain(final)
        expect(fs.readdirSync(dir)).toEqual([path.basename(fileOf(dir, "same"))])
        expect((yield* store.stats).corrupt).toBe(0)
      })
    ))

  it.effect("a truncated, bit-flipped, empty or foreign file is a miss and is removed", () =>
    withStore((dir, store) =>
      Effect.gen(function*() {
        const damage: Record<string, (file: string) => void> = {
          truncated: (f) => fs.truncateSync(f, fs.statSync(f).size - 3),
          headerOnly: (f) => fs.truncateSync(f, 40),
          empty: (f) => fs.writeFileSync(f, ""),
          flipped: (f) => {
            const b = fs.readFileSync(f)
            b[b.length - 1] = b[b.length - 1]! ^ 0xff
            fs.writeFileSync(f, b)
          },
          appended: (f) => fs.appendFileSync(f, "tail"),
          foreign: (f) => fs.writeFileSync(f, "{\"not\":\"ours\"}"),
          otherKey: (f) => fs.copyFileSync(fileOf(dir, "donor"), f)
        }
        yield* store.set("donor", entry("donor"), Duration.minutes(5))
        for (const [name, hurt] of Object.entries(damage)) {
          yield* store.set(name, entry(name), Duration.minutes(5))
          hurt(fileOf(dir, name))
          expect(Option.isNone(yield* store.get(name)), name).toBe(true)
          expect(fs.existsSync(fileOf(dir, name)), name).toBe(false)
        }
        expect((yield* store.stats).corrupt).toBe(Object.keys(damage).length)
        expect(text(yield* store.get("donor"))).toEqual(Option.some("donor"))
      })
    ))

  it.effect("cleanupExpired sweeps expired and corrupt entries and abandoned temp files, nothing else", () =>
    withStore((dir, store) =>
      Effect.gen(function*() {
        yield* store.set("short", entry("s"), Duration.seconds(1))
        yield* store.set("long", entry("l"), Duration.hours(1))
        yield* store.set("broken", entry("b"), Duration.hours(1))
        fs.writeFileSync(fileOf(dir, "broken"), "garbage")
        const temp = path.join(dir, `.tmp-${"a".repeat(64)}-0-1234abcd`)
        fs.writeFileSync(temp, "half a write")
        const unrelated = path.join(dir, "README.txt")
        fs.writeFileSync(unrelated, "not a cache file")
        yield* TestClock.adjust(Duration.minutes(11))
        expect(yield* store.cleanupExpired).toBe(2)
        expect(fs.existsSync(temp)).toBe(false)
        expect(fs.existsSync(unrelated)).toBe(true)
        expect(text(yield* store.get("long"))).toEqual(Option.some("l"))
        const s = yield* store.stats
        expect(s.entries).toBe(1)
        expect(s.bytes).toBe(fs.statSync(fileOf(dir, "long")).size)
        yield* store.clear
        expect(fs.readdirSync(dir)).toEqual(["README.txt"])
      })
    ))

  it.effect("an unreadable entry (a directory in its place) is a miss for get and is skipped and counted by a sweep", () =>
    withStore((dir, store) =>
      Effect.gen(function*() {
        yield* store.set("before", entry("b"), Duration.seconds(1))
        yield* store.set("after", entry("a"), Duration.seconds(1))
        yield* store.set("kept", entry("k"), Duration.hours(1))
        // Something the store cannot read or remove where an entry (and an old temp file) should be.
        fs.mkdirSync(fileOf(dir, "blocked"))
        fs.writeFileSync(path.join(fileOf(dir, "blocked"), "inside"), "x")
        const tempDir = path.join(dir, `.tmp-${"b".repeat(64)}-0-1234abcd`)
        fs.mkdirSync(tempDir)
        expect(Option.isNone(yield* store.get("blocked"))).toBe(true)
        expect((yield* store.stats).unreadable).toBe(1)
        yield* TestClock.adjust(Duration.minutes(11))
        // Both expired entries are swept whatever order the directory lists them in.
        expect(yield* store.cleanupExpired).toBe(2)
        expect(fs.existsSync(fileOf(dir, "before"))).toBe(false)
        expect(fs.existsSync(fileOf(dir, "after"))).toBe(false)
        expect(fs.statSync(fileOf(dir, "blocked")).isDirectory()).toBe(true)
        expect(fs.existsSync(tempDir)).toBe(true)
        const s = yield* store.stats
        expect(s.unreadable).toBe(3)
        // The directory is not an entry: neither counted nor sized.
        expect(s.entries).toBe(1)
        expect(s.bytes).toBe(fs.statSync(fileOf(dir, "kept")).size)
        expect(text(yield* store.get("kept"))).toEqual(Option.some("k"))
      })
    ))

  it.effect("delete, zero TTL, and a cache directory removed under the store", () =>
    withStore((dir, store) =>
      Effect.gen(function*() {
        yield* store.set("k", entry("v"), Duration.minutes(1))
        expect(yield* store.delete("k")).toBe(true)
        expect(yield* store.delete("k")).toBe(false)
        yield* store.set("k", entry("v"), Duration.minutes(1))
        yield* store.set("k", entry("v"), Duration.zero)
        expect(Option.isNone(yield* store.get("k"))).toBe(true)
        fs.rmSync(dir, { recursive: true })
        expect(Option.isNone(yield* store.get("k"))).toBe(true)
        yield* store.set("k", entry("again"), Duration.minutes(1))
        expect(text(yield* store.get("k"))).toEqual(Option.some("again"))
      })
    ))

  it.effect("hits served from memory still see entries replaced, edited or removed by another process", () =>
    withStore((dir, store) =>
      Effect.gen(function*() {
        // Another process: a second store on the same directory.
        const other = yield* makeFileStore({ directory: dir }).pipe(Effect.provide(NodeFileSystem.layer))
        yield* store.set("k", entry("one"), Duration.minutes(5))
        expect(text(yield* store.get("k"))).toEqual(Option.some("one"))
        expect(text(yield* store.get("k"))).toEqual(Option.some("one"))
        yield* other.set("k", entry("two"), Duration.minutes(5))
        expect(text(yield* store.get("k"))).toEqual(Option.some("two"))
        // An edit in place (same inode, same size) a little later: the checksum catches it again.
        yield* Effect.promise(() => new Promise((r) => setTimeout(r, 5)))
        const file = fileOf(dir, "k")
        const b = fs.readFileSync(file)
        b[b.length - 1] = b[b.length - 1]! ^ 0xff
        fs.writeFileSync(file, b)
        expect(Option.isNone(yield* store.get("k"))).toBe(true)
        expect((yield* store.stats).corrupt).toBe(1)
        yield* other.set("k", entry("three"), Duration.minutes(5))
        expect(text(yield* store.get("k"))).toEqual(Option.some("three"))
        expect(yield* other.delete("k")).toBe(true)
        expect(Option.isNone(yield* store.get("k"))).toBe(true)
      })
    ))

  it.effect("rejects an empty directory option and a negative memo size", () =>
    Effect.gen(function*() {
      const memo = yield* Effect.flip(makeFileStore({ directory: "x", memoBytes: -1 }))
      expect(memo._tag === "InvalidCacheOptions" && memo.field).toBe("memoBytes")
      const err = yield* Effect.flip(makeFileStore({ directory: " " }))
      expect(err._tag).toBe("InvalidCacheOptions")
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})

describe("file format", () => {
  const arbEntry = fc.record({
    status: fc.integer({ min: 200, max: 599 }),
    headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 16 }), { maxKeys: 4 }),
    body: fc.uint8Array({ maxLength: 256 }),
    storedAt: fc.nat(),
    expiresAt: fc.nat()
  })

  it("round-trips any entry", () =>
    fc.assert(fc.property(fc.string(), arbEntry, fc.nat(), (key, e, deleteAt) => {
      const decoded = decodeEntry(encodeEntry(key, deleteAt, e))
      expect(Either.getOrThrow(decoded)).toEqual({ key, deleteAt, entry: e })
    })))

  it("rejects every truncation and every single-byte change", () =>
    fc.assert(fc.property(fc.string(), arbEntry, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (key, e, at, pos, x) => {
      const bytes = encodeEntry(key, 0, e)
      expect(Either.isLeft(decodeEntry(bytes.subarray(0, at % bytes.length)))).toBe(true)
      const flipped = new Uint8Array(bytes)
      const i = pos % bytes.length
      flipped[i] = flipped[i]! ^ x
      expect(Either.isLeft(decodeEntry(flipped))).toBe(true)
    })))
})
