/**
 * Parsing of the response and request header fields the cache reads (pure).
 *
 * @since 0.1.0
 */
import { Option } from "effect"
import { parseHttpDate as parseStrictHttpDate } from "../internal/httpDate.js"
import { normalizeHeaderNames } from "./key.js"


/** @internal */
export type Headers = Readonly<Record<string, string>>

/**
 * A header by name, case-insensitively (lower-case names, as the platform gives them, are found at once).
 *
 * @internal
 */
export const header = (headers: Headers, name: string): string | undefined => {
  const direct = headers[name]
  if (direct !== undefined) return direct
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) return headers[key]
  return undefined
}

/**
 * Headers with lower-case names: the record itself when they already are (the platform's headers
 * always are), so each lookup is one property access.
 *
 * @internal
 */
export const lowerCased = (headers: Headers): Headers => {
  for (const key in headers) {
    if (key !== key.toLowerCase()) {
      const out: Record<string, string> = {}
      for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] ??= v
      return out
    }
  }
  return headers
}

/**
 * Parses a `Cache-Control` value into lower-cased directives. A directive without a value maps to
 * `true`; quoted values are unquoted. When a directive repeats, the first occurrence wins
 * (RFC 9111 §4.2.1).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseCacheControl = (value: string | undefined): ReadonlyMap<string, string | true> => {
  const out = new Map<string, string | true>()
  if (value === undefined) return out
  // Split on commas outside quotes.
  const parts: Array<string> = []
  let current = ""
  let quoted = false
  for (const ch of value) {
    if (ch === "\"") quoted = !quoted
    if (ch === "," && !quoted) {
      parts.push(current)
      current = ""
    } else current += ch
  }
  parts.push(current)
  for (const part of parts) {
    const eq = part.indexOf("=")
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase()
    if (name.length === 0 || out.has(name)) continue
    if (eq === -1) out.set(name, true)
    else {
      let v = part.slice(eq + 1).trim()
      if (v.length >= 2 && v.startsWith("\"") && v.endsWith("\"")) v = v.slice(1, -1)
      out.set(name, v)
    }
  }
  return out
}

/**
 * `delta-seconds` of a directive in milliseconds; `undefined` when absent. A present but invalid
 * value yields 0 (the response is treated as stale, as RFC 9111 §1.2.2 recommends).
 *
 * @internal
 */
export const deltaSeconds = (cc: ReadonlyMap<string, string | true>, name: string): number | undefined => {
  const v = cc.get(name)
  if (v === undefined) return undefined
  if (v === true || !/^\d+$/.test(v)) return 0
  // Values above 2^31 seconds are treated as 2^31 (RFC 9111 §1.2.2).
  return Math.min(Number(v), 2 ** 31) * 1000
}

/**
 * Parses an HTTP-date strictly (IMF-fixdate, RFC 850, asctime; RFC 9110 §5.6.7); `undefined` when
 * absent or invalid. `now` resolves RFC 850's two-digit years.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseHttpDate = (value: string | undefined, now: number): number | undefined =>
  value === undefined ? undefined : Option.getOrUndefined(parseStrictHttpDate(value, now))

/**
 * What a decision reads of a response's headers, parsed once for all of its steps (storability,
 * lifetime, age, stale windows): `Cache-Control` and the strictly parsed `Date`.
 *
 * @internal
 */
export interface ParsedResponse {
  readonly cacheControl: ReadonlyMap<string, string | true>
  readonly date: number | undefined
}

/** @internal */
export const parseResponse = (headers: Headers, now: number): ParsedResponse => ({
  cacheControl: parseCacheControl(header(headers, "cache-control")),
  date: parseHttpDate(header(headers, "date"), now)
})

/**
 * The header names of a `Vary` value, canonicalised; `["*"]` when any header varies.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseVary = (value: string | undefined): ReadonlyArray<string> =>
  value === undefined ? [] : normalizeHeaderNames(value.split(","))

