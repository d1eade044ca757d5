/**
 * The on-disk format of one file-store entry (pure encode/decode).
 *
 * ```
 * offset  size  field
 *      0     4  magic "EGCE"
 *      4     1  format version (1)
 *      5     3  reserved, zero
 *      8     4  metadata length (u32, big endian)
 *     12     4  body length (u32, big endian)
 *     16    32  SHA-256 of metadata ++ body
 *     48     m  metadata: UTF-8 JSON (key, retention, status, headers, times, validators, vary)
 *   48+m     b  body bytes
 * ```
 * The file must be exactly `48 + m + b` bytes and the checksum must match; anything else
 * (truncated, appended to, bit-flipped, someone else's file) decodes to a reason, never throws.
 *
 * @since 0.1.0
 * @internal
 */
import { Either, Schema } from "effect"
import { createHash } from "node:crypto"
import type { CacheEntry } from "./CacheStore.js"

const MAGIC = [0x45, 0x47, 0x43, 0x45] // "EGCE"
const VERSION = 1
/** @internal */
export const HEADER_SIZE = 48

const Meta = Schema.Struct({
  key: Schema.String,
  deleteAt: Schema.Number,
  status: Schema.Int.pipe(Schema.between(100, 599)),
  headers: Schema.Record({ key: Schema.String, value: Schema.String }),
  storedAt: Schema.Number,
  expiresAt: Schema.Number,
  etag: Schema.optional(Schema.String),
  lastModified: Schema.optional(Schema.String),
  vary: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.String) }))
})
const decodeMeta = Schema.decodeUnknownEither(Schema.parseJson(Meta))

/** @internal */
export interface StoredFile {
  readonly key: string
  readonly deleteAt: number
  readonly entry: CacheEntry
}

const checksum = (meta: Uint8Array, body: Uint8Array): Buffer =>
  createHash("sha256").update(meta).update(body).digest()

/** @internal */
export const encodeEntry = (key: string, deleteAt: number, entry: CacheEntry): Uint8Array => {
  const meta = Buffer.from(
    JSON.stringify({
      key,
      deleteAt,
      status: entry.status,
      headers: entry.headers,
      storedAt: entry.storedAt,
      expiresAt: entry.expiresAt,
      ...(entry.etag !== undefined ? { etag: entry.etag } : {}),
      ...(entry.lastModified !== undefined ? { lastModified: entry.lastModified } : {}),
      ...(entry.vary !== undefined ? { vary: entry.vary } : {})
    }),
    "utf8"
  )
  const out = Buffer.alloc(HEADER_SIZE + meta.byteLength + entry.body.byteLength)
  out.set(MAGIC, 0)
  out[4] = VERSION
  out.writeUInt32BE(meta.byteLength, 8)
  out.writeUInt32BE(entry.body.byteLength, 12)
  checksum(meta, entry.body).copy(out, 16)
  out.set(meta, HEADER_SIZE)
  out.set(entry.body, HEADER_SIZE + meta.byteLength)
  return out
}

/**
 * Decodes a file; `Left(reason)` for anything that is not one whole entry of this format.
 *
 * @internal
 */
export const decodeEntry = (bytes: Uint8Array): Either.Either<StoredFile, string> => {
  if (bytes.byteLength < HEADER_SIZE) return Either.left(`shorter than the ${HEADER_SIZE}-byte header`)
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) return Either.left("bad magic")
  if (bytes[4] !== VERSION) return Either.left(`unknown format version ${String(bytes[4])}`)
  if (bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) return Either.left("reserved header bytes are not zero")
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const metaLength = view.readUInt32BE(8)
  const bodyLength = view.readUInt32BE(12)
  if (bytes.byteLength !== HEADER_SIZE + metaLength + bodyLength) {
    return Either.left(`length ${bytes.byteLength} differs from header (${HEADER_SIZE}+${metaLength}+${bodyLength})`)
  }
  const meta = view.subarray(HEADER_SIZE, HEADER_SIZE + metaLength)
  // Copy the body out so the entry does not pin (or alias) the read buffer.
  const body = new Uint8Array(view.subarray(HEADER_SIZE + metaLength))
  if (!checksum(meta, body).equals(view.subarray(16, HEADER_SIZE))) return Either.left("checksum mismatch")
  return Either.match(decodeMeta(meta.toString("utf8")), {
    onLeft: (e) => Either.left(`bad metadata: ${e.message}`),
    onRight: (m) =>
      Either.right({
        key: m.key,
        deleteAt: m.deleteAt,
        entry: {
          status: m.status,
          headers: m.headers,
          body,
          storedAt: m.storedAt,
          expiresAt: m.expiresAt,
          ...(m.etag !== undefined ? { etag: m.etag } : {}),
          ...(m.lastModified !== undefined ? { lastModified: m.lastModified } : {}),
          ...(m.vary !== undefined ? { vary: m.vary } : {})
        }
      })
  })
}
