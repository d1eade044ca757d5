/**
 * Limits as data: what is stored per entity, per resource and system-wide, how each is named in the
 * store, and its canonical JSON (one text per value, so "did it change?" is a string comparison).
 *
 * @since 0.1.0
 */
import { Either, ParseResult, Schema } from "effect"
import { type Limit, LimitList } from "../limiter/Limit.js"

/**
 * The resource key of an entity's override that applies to every resource it has no specific
 * override for (zae-limiter's `_default_`).
 *
 * @since 0.1.0
 * @category constants
 */
export const ANY_RESOURCE = "*"

const Name = (what: string) =>
  Schema.String.pipe(
    Schema.filter((s) => s.length > 0 && s.length <= 256 && s.trim() === s && !/[\u0000-\u001f\u007f]/.test(s), {
      message: (issue) => `Expected ${what}: 1 to 256 characters, no surrounding spaces or control characters, got ${JSON.stringify(issue.actual)}`
    })
  )

/**
 * An entity id (`"org-1"`, `"user-42"`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const EntityId = Name("an entity id").annotations({ identifier: "EntityId" })

/**
 * A resource name (an API or an endpoint, `"openai"`); `"*"` is reserved for {@link ANY_RESOURCE}.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResourceName = Name("a resource name").pipe(
  Schema.filter((s) => s !== ANY_RESOURCE || `"${ANY_RESOURCE}" is reserved for an entity's override of every resource`)
).annotations({ identifier: `ResourceName (not "${ANY_RESOURCE}")` })

/**
 * Limits with distinct names (the one limits-list schema, `Limit.LimitList`).
 *
 * @since 0.1.0
 * @category schemas
 */
export { LimitList }

/**
 * What an entity stores: its parent (set once, resolved from the store) and its overrides per
 * resource (`"*"` for all of them).
 *
 * @since 0.1.0
 * @category schemas
 */
export const EntitySettings = Schema.Struct({
  parent: Schema.optionalWith(EntityId, { exact: true }),
  limits: Schema.optionalWith(
    // Keyed by a resource name or "*" (a union with the literal would make "*" a required key).
    Schema.Record({ key: Name(`a resource name or "${ANY_RESOURCE}"`), value: LimitList }),
    { default: () => ({}) }
  )
})

/**
 * @since 0.1.0
 * @category models
 */
export type EntitySettings = typeof EntitySettings.Type

/**
 * A stored value of the system default or of a resource default.
 *
 * @since 0.1.0
 * @category schemas
 */
export const LimitsSettings = Schema.Struct({ limits: LimitList })

/**
 * Where a value is stored: the system default, a resource's default, or an entity's settings.
 *
 * @since 0.1.0
 * @category models
 */
export type Target =
  | { readonly kind: "system" }
  | { readonly kind: "resource"; readonly name: string }
  | { readonly kind: "entity"; readonly name: string }

/**
 * A stored value with where it is stored.
 *
 * @since 0.1.0
 * @category models
 */
export type Entry =
  | { readonly kind: "system"; readonly limits: ReadonlyArray<Limit> }
  | { readonly kind: "resource"; readonly name: string; readonly limits: ReadonlyArray<Limit> }
  | { readonly kind: "entity"; readonly name: string; readonly settings: EntitySettings }

/** @since 0.1.0 @category constructors */
export const system: Target = { kind: "system" }
/** @since 0.1.0 @category constructors */
export const resource = (name: string): Target => ({ kind: "resource", name })
/** @since 0.1.0 @category constructors */
export const entity = (name: string): Target => ({ kind: "entity", name })

/**
 * The store key of a target: `system`, `resource:<name>`, `entity:<id>`. Pure; {@link parseKey} inverts it.
 *
 * @since 0.1.0
 * @category keys
 */
export const keyOf = (target: Target): string => target.kind === "system" ? "system" : `${target.kind}:${target.name}`

/**
 * The target of a store key, or `undefined` for a key this module never writes.
 *
 * @since 0.1.0
 * @category keys
 */
export const parseKey = (key: string): Target | undefined => {
  if (key === "system") return system
  const colon = key.indexOf(":")
  const kind = key.slice(0, colon)
  const name = key.slice(colon + 1)
  return colon > 0 && name.length > 0 && (kind === "resource" || kind === "entity") ? { kind, name } : undefined
}

/** JSON text with object keys sorted, so equal values always have equal text. */
const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v)

const byName = (limits: ReadonlyArray<Limit>): ReadonlyArray<Limit> =>
  [...limits].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))

const encodeLimits = Schema.encodeSync(LimitsSettings)
const encodeEntity = Schema.encodeSync(EntitySettings)

/**
 * The canonical stored text of an entry: limits sorted by name, keys sorted, the full `Limit` form.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeEntry = (entry: Entry): string =>
  canonicalJson(
    entry.kind === "entity"
      ? encodeEntity({
        ...entry.settings,
        limits: Object.fromEntries(Object.entries(entry.settings.limits).map(([r, ls]) => [r, byName(ls)]))
      })
      : encodeLimits({ limits: byName(entry.limits) })
  )

const decodeLimits = Schema.decodeUnknownEither(Schema.parseJson(LimitsSettings))
const decodeEntity = Schema.decodeUnknownEither(Schema.parseJson(EntitySettings))

/**
 * Decode a stored text for `target`; the error says what was wrong (a corrupt or foreign value).
 *
 * @since 0.1.0
 * @category encoding
 */
export const decodeEntry = (target: Target, text: string): Either.Either<Entry, string> => {
  const format = (e: ParseResult.ParseError) => ParseResult.TreeFormatter.formatErrorSync(e)
  return target.kind === "entity"
    ? Either.mapBoth(decodeEntity(text), { onLeft: format, onRight: (settings) => ({ kind: "entity", name: target.name, settings }) })
    : Either.mapBoth(decodeLimits(text), {
      onLeft: format,
      onRight: ({ limits }) => target.kind === "system" ? { kind: "system", limits } : { kind: "resource", name: target.name, limits }
    })
}

/**
 * The target an entry is stored at.
 *
 * @since 0.1.0
 * @category keys
 */
export const targetOf = (entry: Entry): Target => entry.kind === "system" ? system : { kind: entry.kind, name: entry.name }
