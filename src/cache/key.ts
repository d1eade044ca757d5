/**
 * Pure cache-key derivation.
 *
 * A key is the SHA-256 (hex) of an unambiguous serialisation of:
 * - the method (upper-cased),
 * - scheme, host (with non-default port) and path of the URL (the fragment is ignored),
 * - the query parameters, stably sorted by name (values of a repeated name keep their order,
 *   because `?a=1&a=2` and `?a=2&a=1` can mean different things to an API),
 * - the values of the request headers named by the `Vary` list (hashed with the rest),
 * - the credential headers present (Authorization, X-API-Key…), hashed with the rest, so two users
 *   never share an entry and the credential itself never appears in the key,
 * - an optional caller-chosen partition (e.g. the API name).
 *
 * @since 0.1.0
 */
import { sha256Hex } from "../internal/sha256.js"
import { lowerCased } from "./directives.js"
import { CREDENTIAL_HEADERS } from "../internal/credentials.js"

/**
 * Credential headers partitioned by default (lower-case).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultCredentialHeaders: ReadonlyArray<string> = CREDENTIAL_HEADERS

/**
 * Everything a cache key depends on. `headers` are the request headers; names are matched
 * case-insensitively.
 *
 * @since 0.1.0
 * @category models
 */
export interface CacheKeyInput {
  readonly method: string
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  /** Request header names whose values select a variant (the `Vary` list). */
  readonly vary?: ReadonlyArray<string> | undefined
  /** Header names that carry a credential; default {@link defaultCredentialHeaders}. */
  readonly credentialHeaders?: ReadonlyArray<string> | undefined
  /** Extra partition chosen by the caller (e.g. the API name). */
  readonly partition?: string | undefined
}


/** Header lookup by case-insensitive name (request headers may come from any source). */
const headerValue = (headers: Readonly<Record<string, string>>, name: string): string | undefined => {
  const direct = headers[name]
  if (direct !== undefined) return direct
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === name) return headers[key]
  }
  return undefined
}

/**
 * Lower-cases, trims, dedupes and sorts a list of header names (the canonical form of a `Vary` list).
 *
 * @since 0.1.0
 * @category utils
 */
export const normalizeHeaderNames = (names: ReadonlyArray<string>): ReadonlyArray<string> =>
  Array.from(new Set(names.map((n) => n.trim().toLowerCase()).filter((n) => n.length > 0))).sort()

/** The lists a cache passes on every call (its credential headers) are normalised once, by identity. */
const normalized = new WeakMap<ReadonlyArray<string>, ReadonlyArray<string>>()
const normalizeOnce = (names: ReadonlyArray<string>): ReadonlyArray<string> => {
  let out = normalized.get(names)
  if (out === undefined) normalized.set(names, out = normalizeHeaderNames(names))
  return out
}

const PLAIN_QUERY = /^\?[^%+]*$/

/** `application/x-www-form-urlencoded` parsing of a query without escapes (WHATWG URL §5.1). */
const splitQuery = (search: string): Array<readonly [string, string]> => {
  const out: Array<readonly [string, string]> = []
  for (const part of search.slice(1).split("&")) {
    if (part.length === 0) continue
    const eq = part.indexOf("=")
    out.push(eq === -1 ? [part, ""] : [part.slice(0, eq), part.slice(eq + 1)])
  }
  return out
}

/**
 * Query parameters of a URL, stably sorted by name: the relative order of the values of one
 * repeated name is preserved.
 *
 * @since 0.1.0
 * @category utils
 */
export const sortedParams = (url: URL): ReadonlyArray<readonly [string, string]> => {
  const search = url.search
  if (search.length <= 1) return []
  // Without escapes ('%', '+') a query decodes to itself: split it rather than build URLSearchParams.
  const params: Array<readonly [string, string]> = PLAIN_QUERY.test(search) ? splitQuery(search) : Array.from(url.searchParams.entries())
  // Array.prototype.sort is stable (ES2019), so equal names keep their relative order.
  return params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

/**
 * The credential headers present, as (name, value) pairs in canonical order: an input to the key's
 * hash only, never stored or returned anywhere else.
 */
const credentialsOf = (
  headers: Readonly<Record<string, string>>,
  credentialHeaders: ReadonlyArray<string>
): ReadonlyArray<readonly [string, string]> => {
  const present: Array<readonly [string, string]> = []
  for (const name of normalizeOnce(credentialHeaders)) {
    const value = headers[name]
    if (value !== undefined) present.push([name, value])
  }
  return present
}

/** SHA-256 over (name, value) pairs: unsalted, so every process sharing a store derives the same. */
const fingerprint = (present: ReadonlyArray<readonly [string, string]>): string =>
  sha256Hex(JSON.stringify(["effect-governor/credential/v1", present]))

/**
 * The `vary` request headers of a request as a stored entry records them, by canonical name: each
 * value as a fingerprint (an unsalted SHA-256 of its name and value), never the value itself, so a
 * `Vary: Authorization` (or any header carrying a secret, under any name) puts no credential in a
 * store; equality is all a variant check needs. An absent header is
 * `null` (distinct from an empty value).
 *
 * @since 0.1.0
 * @category utils
 */
export const varyValues = (
  headers: Readonly<Record<string, string>>,
  vary: ReadonlyArray<string>
): Readonly<Record<string, string | null>> => {
  const out: Record<string, string | null> = {}
  for (const name of normalizeHeaderNames(vary)) out[name] = varyValue(headers, name)
  return out
}

/**
 * The fingerprint of one `Vary` header of a request (`null`: absent) as {@link varyValues} gives it;
 * `name` is canonical (lower-case, trimmed).
 *
 * @internal
 */
export const varyValue = (headers: Readonly<Record<string, string>>, name: string): string | null => {
  const value = headerValue(headers, name)
  return value === undefined ? null : fingerprint([[name, value]])
}

/**
 * Derives the cache key (64 hex characters). Pure: same input, same key. Internal: the key a cache
 * gives a request (its partition and keyed headers included) is `ResponseCacheService.keyFor`.
 *
 * @since 0.1.0
 * @internal
 */
export const deriveKey = (input: CacheKeyInput): string => {
  const url = input.url
  const headers = lowerCased(input.headers)
  // Every field is length-prefixed, every list counted: unambiguous whatever characters names and
  // values contain, and a fraction of the cost of JSON. The credentials are hashed with the rest
  // (one SHA-256): the key partitions by them and reveals none.
  let canonical = "effect-governor/cache-key/v2\n" + field(input.method.toUpperCase()) + field(url.protocol) +
    field(url.host) + field(url.pathname) + pairs(sortedParams(url))
  const vary = input.vary === undefined || input.vary.length === 0 ? [] : normalizeOnce(input.vary)
  canonical += `${vary.length};`
  for (const name of vary) {
    const value = headers[name]
    canonical += field(name) + (value === undefined ? "-" : field(value))
  }
  canonical += pairs(credentialsOf(headers, input.credentialHeaders ?? defaultCredentialHeaders)) +
    (input.partition === undefined ? "-" : field(input.partition))
  return sha256Hex(canonical)
}

/** One length-prefixed field of the canonical form. */
const field = (text: string): string => `${text.length}:${text}`

/** A counted list of (name, value) pairs of the canonical form. */
const pairs = (list: ReadonlyArray<readonly [string, string]>): string => {
  let out = `${list.length};`
  for (const [name, value] of list) out += field(name) + field(value)
  return out
}
