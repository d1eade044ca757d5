/**
 * The `LimitsStore` service: limits stored as data (system default, resource defaults, entity
 * settings), changed at run time, each change atomic per entry and recorded as an {@link AuditEvent}.
 *
 * Implementations provide a small {@link LimitsBackend} (texts by key, one atomic conditional write
 * that also appends the audit event) and get the typed service from {@link fromBackend}: in memory
 * here ({@link layerMemory}), in Redis from `effect-governor/redis` (`makeLimitsStore`).
 *
 * @since 0.1.0
 */
import { Context, Effect, Either, Option, Schema, type Stream } from "effect"
import type { AuditEvent, AuditQuery } from "./audit.js"
import { InvalidLimitsEntry, LimitsConflict, LimitsStoreError } from "./errors.js"
import { decodeEntry, EntityId, encodeEntry, type Entry, keyOf, parseKey, ResourceName, type Target, targetOf } from "./model.js"

/**
 * What one atomic write did.
 *
 * @since 0.1.0
 * @category models
 */
export type WriteResult =
  | { readonly _tag: "unchanged" }
  | { readonly _tag: "written"; readonly event: AuditEvent }
  | { readonly _tag: "conflict" }

/**
 * The storage seam: stored texts by key (see `keyOf`) and one atomic write.
 *
 * @since 0.1.0
 * @category models
 */
export interface LimitsBackend {
  /** The texts of `keys`, in order (`undefined`: nothing stored), in one round trip. */
  readonly read: (keys: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<string | undefined>, LimitsStoreError>
  /** Every stored key and text. */
  readonly readAll: Effect.Effect<ReadonlyMap<string, string>, LimitsStoreError>
  /**
   * Atomically: when `expected` is given and the stored text is not `expected.text`, a conflict; when
   * the stored text is already `next`, unchanged (no event); else store `next` (delete when
   * `undefined`) and append the audit event, trimming the oldest beyond the store's capacity.
   */
  readonly write: (
    key: string,
    next: string | undefined,
    source: string,
    expected: { readonly text: string | undefined } | undefined
  ) => Effect.Effect<WriteResult, LimitsStoreError>
  /** The kept audit events matching `query`, oldest first. */
  readonly events: (query: AuditQuery) => Stream.Stream<AuditEvent, LimitsStoreError>
}

/**
 * How a write is made: `source` names who makes it (kept in the audit event); `expected`, when given,
 * makes it conditional on the stored text read before (`undefined` text: nothing stored).
 *
 * @since 0.1.0
 * @category models
 */
export interface WriteOptions {
  readonly source: string
  readonly expected?: { readonly text: string | undefined } | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LimitsStoreShape {
  readonly get: (target: Target) => Effect.Effect<Option.Option<Entry>, LimitsStoreError>
  /** Several targets in one round trip, in order. */
  readonly getMany: (targets: ReadonlyArray<Target>) => Effect.Effect<ReadonlyArray<Option.Option<Entry>>, LimitsStoreError>
  /** The canonical stored text of every entry, by key (what `plan` compares a file against). */
  readonly texts: Effect.Effect<ReadonlyMap<string, string>, LimitsStoreError>
  /** Store `entry` (replacing what its target held, atomically); the audit event, or none if nothing changed. */
  readonly put: (
    entry: Entry,
    options: WriteOptions
  ) => Effect.Effect<Option.Option<AuditEvent>, LimitsStoreError | LimitsConflict | InvalidLimitsEntry>
  /** Delete what `target` holds; the audit event, or none if nothing was stored. */
  readonly remove: (target: Target, options: WriteOptions) => Effect.Effect<Option.Option<AuditEvent>, LimitsStoreError | LimitsConflict>
  /** The kept audit events (all, or of one target; the newest `limit`), oldest first. */
  readonly audit: (query?: AuditQuery) => Stream.Stream<AuditEvent, LimitsStoreError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class LimitsStore extends Context.Tag("effect-governor/LimitsStore")<LimitsStore, LimitsStoreShape>() {}

const validName = (entry: Entry): string | undefined => {
  if (entry.kind === "system") return undefined
  const schema = entry.kind === "entity" ? EntityId : ResourceName
  const checked = Schema.validateEither(schema)(entry.name)
  if (Either.isLeft(checked)) return `name: ${checked.left.message}`
  if (entry.kind === "entity" && entry.settings.parent === entry.name) return "an entity cannot be its own parent"
  return undefined
}

const decodeAt = (key: string, text: string): Effect.Effect<Entry, LimitsStoreError> => {
  const target = parseKey(key)
  const decoded = target === undefined ? Either.left(`unknown key ${JSON.stringify(key)}`) : decodeEntry(target, text)
  return Either.match(decoded, {
    onLeft: (detail) => Effect.fail(new LimitsStoreError({ operation: "read", reason: "corrupt", detail: `${key}: ${detail}` })),
    onRight: Effect.succeed
  })
}

/**
 * The typed service over a backend: encodes and checks entries, decodes what is read.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromBackend = (backend: LimitsBackend): LimitsStoreShape => {
  const write = (key: string, next: string | undefined, options: WriteOptions) =>
    Effect.flatMap(backend.write(key, next, options.source, options.expected), (result) =>
      result._tag === "conflict"
        ? Effect.fail(new LimitsConflict({ key }))
        : Effect.succeed(result._tag === "written" ? Option.some(result.event) : Option.none()))
  const getMany = (targets: ReadonlyArray<Target>) => {
    const keys = targets.map(keyOf)
    return Effect.flatMap(backend.read(keys), (texts) =>
      Effect.forEach(texts, (text, i) => text === undefined ? Effect.succeedNone : Effect.asSome(decodeAt(keys[i]!, text))))
  }
  return {
    get: (target) => Effect.map(getMany([target]), (found) => found[0] ?? Option.none()),
    getMany,
    texts: backend.readAll,
    put: (entry, options) => {
      const invalid = validName(entry)
      return invalid !== undefined
        ? Effect.fail(new InvalidLimitsEntry({ key: keyOf(targetOf(entry)), reason: invalid }))
        : write(keyOf(targetOf(entry)), encodeEntry(entry), options)
    },
    remove: (target, options) => write(keyOf(target), undefined, options),
    audit: (query = {}) => backend.events(query)
  }
}
