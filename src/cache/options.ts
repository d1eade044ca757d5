/**
 * Options of the response cache, their schema, and the settings one call runs under.
 *
 * @since 0.1.0
 */
import { HttpClientRequest } from "@effect/platform"
import { Effect, Either, Option, ParseResult, Redacted, Schema } from "effect"
import { AnyDuration, decodeOptions, HeaderName, intBetween, WholeNumber } from "../internal/schema.js"
import { InvalidCacheOptions } from "./CacheStore.js"
import { CacheTtl, policyFields } from "./fields.js"
import { defaultCredentialHeaders, deriveKey, normalizeHeaderNames } from "./key.js"
import type { CachePolicy } from "./policy.js"
import { makePolicy } from "./policy.js"
import { secretFormsOf } from "./secrets.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ResponseCacheOptions {
  /** Cacheability rules; unspecified fields default to `defaultPolicy`. */
  readonly policy?: Partial<CachePolicy> | undefined
  /** Request headers always part of the key (list here what your API varies on, e.g. `accept`). */
  readonly vary?: ReadonlyArray<string> | undefined
  /** Headers that carry credentials (partition the cache); default `defaultCredentialHeaders`. */
  readonly credentialHeaders?: ReadonlyArray<string> | undefined
  /** An extra key partition, e.g. the API name. */
  readonly partition?: string | undefined
  /** Response header carrying the `CacheStatus`; default `"x-cache"`, `false` for none. */
  readonly markerHeader?: string | false | undefined
  /** Responses whose `Content-Length` exceeds this are passed through unbuffered; default 8 MiB. */
  readonly maxBodyBytes?: number | undefined
  /**
   * Secrets (e.g. the client's token) whose presence in a response's headers or body, raw,
   * URL-encoded or JSON-escaped, means it is never stored (nor stored redacted).
   */
  readonly knownSecrets?: ReadonlyArray<string | Redacted.Redacted<string>> | undefined
  /**
   * Most `stale-while-revalidate` refreshes running at once in the background; past it a stale
   * entry is still served and its refresh skipped (the next request tries again). Default 16.
   */
  readonly maxBackgroundRefreshes?: number | undefined
}

/**
 * Per-call overrides of {@link ResponseCacheOptions} (e.g. from a per-API config).
 *
 * @since 0.1.0
 * @category models
 */
export interface CachedOptions {
  readonly policy?: Partial<CachePolicy> | undefined
  readonly vary?: ReadonlyArray<string> | undefined
  readonly partition?: string | undefined
  /** Known secrets added to the cache's own for this call. */
  readonly knownSecrets?: ReadonlyArray<string | Redacted.Redacted<string>> | undefined
}

/** What one call runs under: the cacheability rules and the forms of the known secrets. */
export interface Settings {
  readonly policy: CachePolicy
  readonly secretForms: ReadonlyArray<string>
}

/** The validated options of one cache. */
export interface Resolved {
  /** Lower-case marker header name, or `undefined` for none. */
  readonly markerName: string | undefined
  readonly maxBodyBytes: number
  readonly maxBackgroundRefreshes: number
  readonly settingsFor: (o: CallOptions | undefined) => Settings
  /** The key of a request, or `undefined` when its URL cannot be parsed. */
  readonly keyFor: (request: HttpClientRequest.HttpClientRequest, o: CallOptions | undefined) => string | undefined
  /**
   * The request headers whose present values the key of a call hashes (canonical names): its
   * configured `vary` names and the credential headers.
   */
  readonly keyedNames: (o: CallOptions | undefined) => ReadonlySet<string>
}

/** A known secret: a string or a `Redacted` one. The message never shows the value. */
const KnownSecret = Schema.declare(
  (u: unknown): u is string | Redacted.Redacted<string> => typeof u === "string" || Redacted.isRedacted(u),
  { message: () => "expected a string or a Redacted string (the value is not shown)" }
)

/**
 * The list of known secrets. Not a list (one secret given alone) fails with its own message: `Schema.Array`'s
 * would show the value, the secret itself.
 */
const KnownSecrets = Schema.transformOrFail(Schema.Unknown, Schema.Array(KnownSecret), {
  strict: true,
  decode: (input, _, ast) =>
    Array.isArray(input)
      ? ParseResult.succeed(input)
      : ParseResult.fail(
        new ParseResult.Type(ast, input, "expected a list of strings or Redacted strings (the value is not shown)")
      ),
  encode: ParseResult.succeed
})

/** `CachePolicy` fields, each optional; durations in any `Duration.DurationInput` form. */
const CachePolicyFields = Schema.Struct(policyFields(CacheTtl, AnyDuration))

/**
 * The schema `ResponseCache.make` decodes its options with. The config's cache section shares its
 * header names and the bounds of `defaultTtl` and the stale allowances (in JSON form).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResponseCacheOptionsSchema = Schema.Struct({
  policy: Schema.optional(CachePolicyFields),
  vary: Schema.optional(Schema.Array(HeaderName)),
  credentialHeaders: Schema.optional(Schema.Array(HeaderName)),
  partition: Schema.optional(Schema.String),
  markerHeader: Schema.optional(Schema.Union(HeaderName, Schema.Literal(false))),
  maxBodyBytes: Schema.optional(WholeNumber),
  knownSecrets: Schema.optional(KnownSecrets),
  maxBackgroundRefreshes: Schema.optional(WholeNumber)
})

const decode = decodeOptions(ResponseCacheOptionsSchema, (field, reason) => new InvalidCacheOptions({ field, reason }))

/** The overrides of one call: the fields of `ResponseCache.make`'s options that a call may change. */
const CachedOptionsSchema = Schema.Struct({
  policy: ResponseCacheOptionsSchema.fields.policy,
  vary: ResponseCacheOptionsSchema.fields.vary,
  partition: ResponseCacheOptionsSchema.fields.partition,
  knownSecrets: ResponseCacheOptionsSchema.fields.knownSecrets
})

/** A call's overrides as decoded. */
export type CallOptions = typeof CachedOptionsSchema.Type

const decodeCallOptions = decodeOptions(CachedOptionsSchema, (field, reason) => new InvalidCacheOptions({ field, reason }))

/**
 * The overrides of one call decoded like the cache's own options (a bad one names its field); keys the
 * schema does not know (a prewarm's `concurrency`) are dropped.
 */
export const decodeCall = (o: CachedOptions | undefined): Either.Either<CallOptions | undefined, InvalidCacheOptions> =>
  o === undefined ? Either.right(undefined) : decodeCallOptions(o)

const decodePrewarmOptions = decodeOptions(
  Schema.Struct({ ...CachedOptionsSchema.fields, concurrency: Schema.optionalWith(intBetween(1, 1000), { default: () => 4 }) }),
  (field, reason) => new InvalidCacheOptions({ field, reason })
)

/** A prewarm's options: a call's overrides and its `concurrency` (1 to 1000, default 4). */
export const decodePrewarm = (
  o: (CachedOptions & { readonly concurrency?: number | undefined }) | undefined
): Either.Either<CallOptions & { readonly concurrency: number }, InvalidCacheOptions> => decodePrewarmOptions(o ?? {})

/** Validates the options; a bad one fails naming the field. */
export const resolve = (input: ResponseCacheOptions): Effect.Effect<Resolved, InvalidCacheOptions> =>
  Effect.map(decode(input), (options) => {
    const marker = options.markerHeader ?? "x-cache"
    const basePolicy = makePolicy(options.policy ?? {})
    const baseSecrets = options.knownSecrets ?? []
    const baseSettings: Settings = { policy: basePolicy, secretForms: secretFormsOf(baseSecrets) }
    const settingsFor = (o: CallOptions | undefined): Settings => {
      const extra = o?.knownSecrets ?? []
      if (o?.policy === undefined && extra.length === 0) return baseSettings
      return {
        policy: o?.policy === undefined ? basePolicy : makePolicy({ ...basePolicy, ...o.policy }),
        secretForms: extra.length === 0 ? baseSettings.secretForms : secretFormsOf([...baseSecrets, ...extra])
      }
    }
    const baseVary = options.vary ?? []
    const baseKeyed: ReadonlySet<string> = new Set(
      normalizeHeaderNames([...baseVary, ...(options.credentialHeaders ?? defaultCredentialHeaders)])
    )
    const keyedNames = (o: CallOptions | undefined): ReadonlySet<string> =>
      o?.vary === undefined ? baseKeyed : new Set([...baseKeyed, ...normalizeHeaderNames(o.vary)])
    const keyFor = (request: HttpClientRequest.HttpClientRequest, o: CallOptions | undefined): string | undefined => {
      const url = HttpClientRequest.toUrl(request)
      if (Option.isNone(url)) return undefined
      return deriveKey({
        method: request.method,
        url: url.value,
        headers: request.headers,
        vary: o?.vary === undefined ? baseVary : [...baseVary, ...o.vary],
        credentialHeaders: options.credentialHeaders,
        partition: o?.partition ?? options.partition
      })
    }
    return {
      markerName: marker === false ? undefined : marker.toLowerCase(),
      maxBodyBytes: options.maxBodyBytes ?? 8 * 1024 * 1024,
      maxBackgroundRefreshes: options.maxBackgroundRefreshes ?? 16,
      settingsFor,
      keyFor,
      keyedNames
    }
  })
