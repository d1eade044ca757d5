/**
 * Pure HTTP cacheability (RFC 9111): what may be stored, for how long it is fresh, how long it is
 * kept for revalidation, and how a `304 Not Modified` refreshes a stored entry.
 *
 * Time is always passed in as epoch milliseconds; nothing here reads a clock.
 *
 * @since 0.1.0
 */
import { Duration, Schema } from "effect"
import { DurationInput } from "../internal/schema.js"
import { initialAge } from "./age.js"
import { CacheTtlJson, policyFields } from "./fields.js"
import {
  deltaSeconds,
  header,
  type Headers,
  lowerCased,
  parseCacheControl,
  parseHttpDate,
  type ParsedResponse,
  parseResponse,
  parseVary
} from "./directives.js"
import { staleAllowance } from "./stale.js"

export { parseCacheControl, parseHttpDate, parseVary } from "./directives.js"

/**
 * Statuses stored by default: the "heuristically cacheable" statuses of RFC 9110 §15.1
 * (200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501) minus 206, because this cache does not
 * combine partial content. The set applies whether or not the response carries explicit freshness.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultCacheableStatuses: ReadonlyArray<number> = [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]

/**
 * How responses are judged.
 *
 * @since 0.1.0
 * @category models
 */
export interface CachePolicy {
  /**
   * `true` when one cache serves several users (e.g. a cache directory shared by processes):
   * `private` responses are then not stored and `s-maxage` wins over `max-age`. Entries are
   * partitioned by credential either way. Default `false`.
   */
  readonly shared: boolean
  /** Methods whose responses may be stored. Default `GET`, `HEAD`. */
  readonly cacheableMethods: ReadonlyArray<string>
  /** Statuses that may be stored. Default {@link defaultCacheableStatuses}. */
  readonly cacheableStatuses: ReadonlyArray<number>
  /**
   * Freshness given to a response that states none (no `max-age`, `s-maxage`, `Expires`).
   * Default zero: such responses are only kept when they carry a validator, and revalidated on
   * every use. (We use this configured value instead of RFC 9111's optional 10%-of-Last-Modified
   * heuristic, so the behaviour is predictable per API.)
   */
  readonly defaultTtl: Duration.Duration
  /** Upper bound on any freshness lifetime. Default infinity. */
  readonly maxTtl: Duration.Duration
  /**
   * How long a stale entry with an `ETag`/`Last-Modified` is kept for conditional revalidation.
   * Default 1 hour.
   */
  readonly staleRetention: Duration.Duration
  /** Store responses that set cookies. Default `false`. */
  readonly allowSetCookie: boolean
  /**
   * RFC 5861 `stale-while-revalidate` for responses that state none: how long past its freshness a
   * stored response may still be served at once while a background request refreshes it. Default
   * zero (off). Never applies against `must-revalidate`, `no-cache` (or, shared, `proxy-revalidate`
   * and `s-maxage`).
   */
  readonly staleWhileRevalidate: Duration.Duration
  /**
   * RFC 5861 `stale-if-error` for responses that state none: how long past its freshness a stored
   * response may be served when the request would otherwise fail. Default zero (off); same limits.
   */
  readonly staleIfError: Duration.Duration
}

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultPolicy: CachePolicy = {
  shared: false,
  cacheableMethods: ["GET", "HEAD"],
  cacheableStatuses: defaultCacheableStatuses,
  defaultTtl: Duration.zero,
  maxTtl: Duration.infinity,
  staleRetention: Duration.hours(1),
  allowSetCookie: false,
  staleWhileRevalidate: Duration.zero,
  staleIfError: Duration.zero
}

/**
 * Policy options as written in configuration (JSON / env): durations are milliseconds or strings
 * such as `"5 minutes"`; every field is optional and defaults to {@link defaultPolicy}. The bounds are
 * those `ResponseCache.make` checks: statuses 200-599 but 206 and 304, `defaultTtl` and the stale
 * allowances at most 366 days.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CachePolicyOptions = Schema.Struct(policyFields(CacheTtlJson, DurationInput))

/**
 * @since 0.1.0
 * @category models
 */
export type CachePolicyOptions = typeof CachePolicyOptions.Type

/**
 * Fills unspecified options from {@link defaultPolicy}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makePolicy = (options: Partial<CachePolicy> | CachePolicyOptions = {}): CachePolicy => {
  const out: { -readonly [K in keyof CachePolicy]: CachePolicy[K] } = { ...defaultPolicy }
  for (const [k, v] of Object.entries(options)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v
  }
  return { ...out, cacheableMethods: out.cacheableMethods.map((m) => m.toUpperCase()) }
}

// ---------------------------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------------------------

/**
 * What to do with a request before looking at the cache.
 * - `Bypass`: not a cache matter (unsafe method, `no-store`, or the caller sends its own
 *   conditional/range headers and manages validation itself).
 * - `Lookup`: use the cache; `revalidate` when the request demands an end-to-end check
 *   (`Cache-Control: no-cache`, `max-age=0`, `Pragma: no-cache`).
 *
 * @since 0.1.0
 * @category models
 */
export type RequestDecision =
  | { readonly _tag: "Bypass"; readonly reason: string }
  | { readonly _tag: "Lookup"; readonly revalidate: boolean }

const callerManagedHeaders = ["if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range", "range"]

/**
 * @since 0.1.0
 * @category decisions
 */
export const decideRequest = (method: string, headers: Headers, policy: CachePolicy): RequestDecision => {
  const m = method.toUpperCase()
  if (!policy.cacheableMethods.includes(m)) return { _tag: "Bypass", reason: `method ${m} is not cacheable` }
  const h = lowerCased(headers)
  const ccRaw = h["cache-control"]
  const cc = parseCacheControl(ccRaw)
  if (cc.has("no-store")) return { _tag: "Bypass", reason: "request Cache-Control: no-store" }
  for (const name of callerManagedHeaders) {
    if (h[name] !== undefined) return { _tag: "Bypass", reason: `request carries ${name}` }
  }
  const pragma = h["pragma"]
  const pragmaNoCache = pragma !== undefined && /(^|,)\s*no-cache\s*(,|$)/i.test(pragma)
  const revalidate = cc.has("no-cache") || deltaSeconds(cc, "max-age") === 0 || (pragmaNoCache && ccRaw === undefined)
  return { _tag: "Lookup", revalidate }
}

/**
 * The verdict on a response.
 *
 * @since 0.1.0
 * @category models
 */
export type ResponseDecision =
  | { readonly _tag: "NotStorable"; readonly reason: string }
  | {
    readonly _tag: "Storable"
    readonly storedAt: number
    /** Fresh until (epoch ms); equal to `storedAt` or earlier when it must be revalidated at once. */
    readonly expiresAt: number
    /**
     * How long the store should keep it (epoch ms): past `expiresAt` when it can be revalidated
     * or served stale (RFC 5861).
     */
    readonly retainUntil: number
    readonly etag?: string
    readonly lastModified?: string
    /** Canonical `Vary` names. */
    readonly vary: ReadonlyArray<string>
    /** Whether a stale copy can be revalidated with a conditional request. */
    readonly revalidatable: boolean
  }

/**
 * @since 0.1.0
 * @category models
 */
export interface ResponseFacts {
  readonly method: string
  readonly status: number
  readonly headers: Headers
  /** When the response was received (epoch ms). */
  readonly now: number
  /** When the request was sent (epoch ms); default `now` (no response delay). */
  readonly requestTime?: number | undefined
  /** The request's headers (for `Authorization` in a shared cache); default none. */
  readonly requestHeaders?: Headers | undefined
}

/**
 * Freshness lifetime in milliseconds per RFC 9111 §4.2.1, or `undefined` when the response states
 * none. `s-maxage` applies only to a shared cache. Dates are parsed strictly (RFC 9110 §5.6.7).
 *
 * @since 0.1.0
 * @category decisions
 */
export const explicitLifetime = (
  headers: Headers,
  now: number,
  shared: boolean,
  parsed: ParsedResponse = parseResponse(headers, now)
): number | undefined => {
  const cc = parsed.cacheControl
  if (shared) {
    const s = deltaSeconds(cc, "s-maxage")
    if (s !== undefined) return s
  }
  const maxAge = deltaSeconds(cc, "max-age")
  if (maxAge !== undefined) return maxAge
  const expiresRaw = header(headers, "expires")
  if (expiresRaw !== undefined) {
    const expires = parseHttpDate(expiresRaw, now)
    // An invalid Expires (e.g. "0") means already expired (RFC 9111 §5.3).
    if (expires === undefined) return 0
    const date = parsed.date ?? now
    return Math.max(0, expires - date)
  }
  return undefined
}

/** Why a response may not be stored, or `undefined` when it may. */
const refusal = (facts: ResponseFacts, cc: ReadonlyMap<string, string | true>, policy: CachePolicy): string | undefined => {
  const method = facts.method.toUpperCase()
  if (!policy.cacheableMethods.includes(method)) return `method ${method}`
  if (!policy.cacheableStatuses.includes(facts.status)) return `status ${facts.status} is not cacheable`
  if (cc.has("no-store")) return "Cache-Control: no-store"
  if (policy.shared && cc.has("private")) return "Cache-Control: private in a shared cache"
  // RFC 9111 §3.5: a shared cache stores a response to an authenticated request only when the
  // response says it may (public, must-revalidate or s-maxage).
  if (
    policy.shared && facts.requestHeaders !== undefined && header(facts.requestHeaders, "authorization") !== undefined &&
    !cc.has("public") && !cc.has("must-revalidate") && !cc.has("s-maxage")
  ) return "request carries Authorization in a shared cache"
  if (!policy.allowSetCookie && header(facts.headers, "set-cookie") !== undefined) return "response sets a cookie"
  return undefined
}

/**
 * Decides whether and how long a response may be stored. The freshness left is the lifetime minus
 * the age the response already has (`Age`, response delay, apparent age from `Date`; RFC 9111
 * §4.2.3). A response that is stale on arrival is kept only when it can be revalidated or served
 * stale on error. `parsed`: the response's headers when already parsed (every step reads them once).
 *
 * @since 0.1.0
 * @category decisions
 */
export const decideResponse = (
  facts: ResponseFacts,
  policy: CachePolicy,
  parsed: ParsedResponse = parseResponse(facts.headers, facts.now)
): ResponseDecision => {
  const { headers, now } = facts
  const cc = parsed.cacheControl
  const refused = refusal(facts, cc, policy)
  if (refused !== undefined) return { _tag: "NotStorable", reason: refused }
  const vary = parseVary(header(headers, "vary"))
  if (vary.includes("*")) return { _tag: "NotStorable", reason: "Vary: *" }

  const etag = header(headers, "etag")
  const lastModified = header(headers, "last-modified")
  const revalidatable = etag !== undefined || (lastModified !== undefined && parseHttpDate(lastModified, now) !== undefined)

  const lifetime = Math.min(
    cc.has("no-cache") // stored, but every use is revalidated
      ? 0
      : explicitLifetime(headers, now, policy.shared, parsed) ?? Duration.toMillis(policy.defaultTtl),
    Duration.toMillis(policy.maxTtl)
  )
  const expiresAt = now + lifetime - initialAge(headers, parsed.date, facts.requestTime ?? now, now)
  const stale = staleAllowance(headers, policy, cc)
  const staleUntil = expiresAt + Math.max(stale.whileRevalidate, stale.ifError)

  if (expiresAt <= now && !revalidatable && staleUntil <= now) {
    return { _tag: "NotStorable", reason: "stale on arrival and no validator to revalidate it" }
  }
  const retainUntil = Math.max(
    revalidatable ? Math.max(expiresAt, now) + Duration.toMillis(policy.staleRetention) : expiresAt,
    staleUntil
  )
  return {
    _tag: "Storable",
    storedAt: now,
    expiresAt,
    retainUntil,
    ...(etag !== undefined ? { etag } : {}),
    ...(lastModified !== undefined ? { lastModified } : {}),
    vary,
    revalidatable
  }
}

/**
 * Whether a fresh response may be served even to a request that asks for revalidation
 * (`Cache-Control: immutable`, RFC 8246: the body will not change while it is fresh). `cc`: its
 * `Cache-Control` when already parsed.
 *
 * @since 0.1.0
 * @category decisions
 */
export const isImmutable = (
  headers: Headers,
  cc: ReadonlyMap<string, string | true> = parseCacheControl(header(headers, "cache-control"))
): boolean => cc.has("immutable")

/**
 * Conditional request headers for revalidating a stored entry (RFC 9110 §13.1): `If-None-Match`
 * from the ETag, `If-Modified-Since` from Last-Modified. Empty when the entry has no validator.
 *
 * @since 0.1.0
 * @category decisions
 */
export const conditionalHeaders = (
  validators: { readonly etag?: string | undefined; readonly lastModified?: string | undefined }
): Readonly<Record<string, string>> => {
  const out: Record<string, string> = {}
  if (validators.etag !== undefined) out["if-none-match"] = validators.etag
  if (validators.lastModified !== undefined) out["if-modified-since"] = validators.lastModified
  return out
}

/** Headers a 304 must not overwrite in the stored response (RFC 9111 §3.2), plus hop-by-hop ones. */
const notUpdatedBy304 = new Set([
  "content-length",
  "content-encoding",
  "transfer-encoding",
  "content-range",
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "upgrade"
])

/**
 * Stored headers updated with those of a `304 Not Modified` (RFC 9111 §4.3.4).
 *
 * @since 0.1.0
 * @category decisions
 */
export const mergeNotModified = (stored: Headers, notModified: Headers): Readonly<Record<string, string>> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(stored)) out[k.toLowerCase()] = v
  for (const [k, v] of Object.entries(notModified)) {
    const name = k.toLowerCase()
    if (!notUpdatedBy304.has(name)) out[name] = v
  }
  return out
}

/**
 * Hop-by-hop headers: meaningful for one connection only, never stored.
 *
 * @since 0.1.0
 * @category constants
 */
export const hopByHopHeaders: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade"
])
